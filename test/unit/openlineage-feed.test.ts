/**
 * GET /v1/openlineage/events: pagination, namespace limits, bad queries, and the proof that the
 * events carry the whole lineage graph: on a generated 1,000-version fixture, the graph rebuilt
 * from the feed's events equals what GET /v1/lineage answers.
 */
import { describe, expect, it } from 'vitest';
import { publishSchema } from '../../src/schemas/publish';
import type { Principal } from '../../src/services/auth';
import { publishVersion } from '../../src/services/publish';
import { BASE, call, createToken, errorCode, testDeps } from '../helpers/http';
import { artifactOf, eventProblems, type OLEvent, readFeed } from '../helpers/openlineage';
import { graphFromEvents } from '../helpers/openlineage-schema.mjs';
import { publishOk, storedFile } from '../helpers/registry';

const ADMIN_PRINCIPAL: Principal = { id: 'admin', name: 'admin', scopes: ['admin'], namespaces: null };

const freshNs = (stem: string) =>
  `${stem}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

interface Page {
  items: OLEvent[];
  nextCursor: string | null;
}

async function page(query: string, token?: string): Promise<Page> {
  const res = await call(`/v1/openlineage/events?${query}`, { token });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-cache');
  return (await res.json()) as Page;
}

describe('the feed', () => {
  it('pages oldest first with `after`; a cursor kept from the last page sees only newer events', async () => {
    const ns = freshNs('feed');
    const { token } = await createToken(['read'], { namespaces: [ns] });
    for (let i = 1; i <= 5; i++) await publishOk(`${ns}/a${i}`, { files: [await storedFile(`f${i}`)] });

    const seen: string[] = [];
    let after = '';
    let pages = 0;
    let last = '';
    for (;;) {
      const p = await page(`limit=2${after ? `&after=${after}` : ''}`, token);
      pages += 1;
      seen.push(...p.items.map(artifactOf));
      if (!p.nextCursor) break;
      last = p.nextCursor;
      after = p.nextCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([1, 2, 3, 4, 5].map((i) => `${ns}/a${i}`));

    // Polling from the last cursor: nothing new, then exactly the new event.
    const tail = await page(`after=${last}`, token);
    expect(tail.items.map(artifactOf)).toEqual([`${ns}/a5`]);
    await publishOk(`${ns}/a6`, { files: [await storedFile('f6')] });
    const next = await page(`after=${last}`, token);
    expect(next.items.map(artifactOf)).toEqual([`${ns}/a5`, `${ns}/a6`]);
  });

  it('a namespace-limited token sees only events whose every namespace it may read', async () => {
    const a = freshNs('nsa');
    const b = freshNs('nsb');
    await publishOk(`${a}/own`, { files: [await storedFile('x')] });
    await publishOk(`${b}/data`, { files: [await storedFile('y')] });
    // An event in `a` naming an input from `b`: it would tell an `a`-only token about `b`.
    await publishOk(`${a}/mixed`, { files: [await storedFile('z')], inputs: [{ ref: `${b}/data@1` }] });

    const onlyA = (await createToken(['read'], { namespaces: [a] })).token;
    const onlyB = (await createToken(['read'], { namespaces: [b] })).token;
    const both = (await createToken(['read'], { namespaces: [a, b] })).token;
    expect((await readFeed({ token: onlyA })).events.map(artifactOf)).toEqual([`${a}/own`]);
    expect((await readFeed({ token: onlyB })).events.map(artifactOf)).toEqual([`${b}/data`]);
    expect((await readFeed({ token: both })).events.map(artifactOf)).toEqual([
      `${a}/own`,
      `${b}/data`,
      `${a}/mixed`,
    ]);

    // Unlimited tokens (and the admin) see all of them among everything else.
    const all = (await readFeed()).events.map(artifactOf);
    expect(all).toEqual(expect.arrayContaining([`${a}/own`, `${b}/data`, `${a}/mixed`]));
  });

  it('bad queries are 400 in the API error shape; anonymous reads are 401', async () => {
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=abc',
      'limit=',
      'after=',
      'cursor=x',
      'after=%21%21%21',
    ]) {
      const res = await call(`/v1/openlineage/events?${query}`);
      expect(res.status, query).toBe(400);
      expect(await errorCode(res), query).toBe('BAD_REQUEST');
    }
    const dl = await call('/v1/openlineage/deliveries?status=lost');
    expect(dl.status).toBe(400);
    const anon = await call('/v1/openlineage/events', { token: null });
    expect(anon.status).toBe(401);
    expect(await errorCode(anon)).toBe('UNAUTHORIZED');
  });
});

/**
 * 1,000 versions in 40 layers: layer 0 is 25 datasets, every later version reads 1–3 versions of
 * the layer before (each of those read by at least one), and one final model reads the whole
 * last layer, so every version is upstream of it within /v1/lineage's depth limit (50).
 */
async function publishFixture(ns: string) {
  // Through the publish service (the code the route calls), not HTTP: the fixture's cost is then
  // D1's, not 1,000 requests' auth and audit rows.
  const deps = testDeps();
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const widths = [...Array.from({ length: 39 }, () => 25), 24, 1];
  let previous: string[] = [];
  let published = 0;
  for (const [layer, width] of widths.entries()) {
    const inputsOf: Set<number>[] = Array.from({ length: width }, () => new Set<number>());
    const last = layer === widths.length - 1;
    if (layer > 0) {
      for (let i = 0; i < previous.length; i++) inputsOf[last ? 0 : i % width]!.add(i);
      for (const set of inputsOf) while (set.size < 1 + rand(3)) set.add(rand(previous.length));
    }
    const prev = previous;
    previous = await Promise.all(
      inputsOf.map(async (set, col) => {
        const name = last ? `${ns}/final` : `${ns}/c${col}`;
        const input = publishSchema.parse({
          kind: last ? 'model' : 'dataset',
          files: [],
          params: { layer, col },
          inputs: [...set].map((i, k) => ({ ref: prev[i]!, role: k === 0 ? 'input' : `aux${k}` })),
        });
        const v = await publishVersion(deps, ADMIN_PRINCIPAL, name, input, { origin: BASE });
        if (!v.ok || v.kind !== 'published') throw new Error(`publish failed: ${JSON.stringify(v)}`);
        return `${v.artifact}@${v.digest}`;
      }),
    );
    published += width;
  }
  return { published, root: previous[0]! };
}

describe('the events carry the lineage graph', () => {
  it('the graph rebuilt from the feed equals GET /v1/lineage on a 1,000-version fixture', {
    timeout: 120_000,
  }, async () => {
    const ns = freshNs('graph');
    const { published, root } = await publishFixture(ns);
    expect(published).toBe(1000);

    const { token } = await createToken(['read'], { namespaces: [ns] });
    const { events, pages } = await readFeed({ token, limit: 500 });
    expect(events).toHaveLength(1000);
    expect(pages).toBe(2);
    for (const event of events) expect(await eventProblems(event)).toEqual([]);
    const fromEvents = graphFromEvents(events);

    const res = await call(`/v1/lineage/${root}?direction=up&depth=50`, { token });
    expect(res.status).toBe(200);
    const graph = (await res.json()) as {
      nodes: { digest: string }[];
      edges: { from: string; to: string; role: string }[];
      truncated: boolean;
    };
    expect(graph.truncated).toBe(false);
    expect(graph.nodes).toHaveLength(1000);
    expect(fromEvents.nodes).toEqual(new Set(graph.nodes.map((n) => n.digest)));
    expect(fromEvents.edges).toEqual(new Set(graph.edges.map((e) => `${e.from} -> ${e.to} (${e.role})`)));
    expect(fromEvents.edges.size).toBeGreaterThan(1000);
  });
});
