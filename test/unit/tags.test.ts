import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { Bindings } from '../../src/env';
import { ADMIN, call, createToken, digestOf, errorCode, randomBytes, testEnv } from '../helpers/http';
import { publish, publishOk, storedFile, uniqueName } from '../helpers/registry';

interface TagEvent {
  from: string | null;
  to: string | null;
  at: string;
  by: string;
  reason: string | null;
}

interface HistoryPage {
  items: TagEvent[];
  nextCursor: string | null;
}

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** A fresh artifact with `count` versions (each over its own random file), oldest first. */
async function artifactWithVersions(count: number, ns = 'acme') {
  const name = uniqueName(ns, 'tags');
  const digests: string[] = [];
  for (let i = 0; i < count; i++) {
    const version = await publishOk(name, { kind: 'model', files: [await storedFile('model.bin')] });
    digests.push(version.digest);
  }
  return { name, digests };
}

const tagUrl = (name: string, tag: string) => `/v1/artifacts/${name}/tags/${tag}`;

function putTag(name: string, tag: string, body: unknown, token?: string | null) {
  return call(tagUrl(name, tag), { method: 'PUT', json: body, token });
}

function deleteTag(name: string, tag: string, token?: string | null, query = '') {
  return call(`${tagUrl(name, tag)}${query}`, { method: 'DELETE', token });
}

async function listTags(name: string, token?: string | null): Promise<Record<string, string>> {
  const res = await call(`/v1/artifacts/${name}/tags`, { token });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, string>;
}

async function historyPage(name: string, tag: string, query = ''): Promise<HistoryPage> {
  const res = await call(`${tagUrl(name, tag)}/history${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryPage;
}

/** Every event, newest first, by following cursors `limit` at a time. */
async function fullHistory(name: string, tag: string, limit = 500): Promise<TagEvent[]> {
  const events: TagEvent[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = await historyPage(name, tag, query);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    events.push(...page.items);
    if (page.nextCursor === null) return events;
    cursor = page.nextCursor;
  }
  throw new Error('history pagination never ended');
}

/** Newest first: each event's `from` is the next-older event's `to`; the oldest starts from nothing. */
function expectGapFree(events: readonly TagEvent[]) {
  expect(events.length).toBeGreaterThan(0);
  for (let i = 0; i < events.length - 1; i++) {
    expect(events[i]!.from, `event ${i} (newest first) continues event ${i + 1}`).toBe(events[i + 1]!.to);
  }
  expect(events.at(-1)!.from).toBeNull();
}

async function errorOf(res: Response): Promise<ErrorBody['error']> {
  return ((await res.json()) as ErrorBody).error;
}

async function versionCount(name: string): Promise<number> {
  const row = await testEnv.DB.prepare(
    'select count(*) as n from versions v join artifacts a on a.id = v.artifact_id where a.name = ?',
  )
    .bind(name)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe('PUT /v1/artifacts/:ns/:name/tags/:tag', () => {
  it('without expect (unconditional) creates, then moves the tag → 200 {tag, digest, previous}', async () => {
    const { name, digests } = await artifactWithVersions(2);
    const [v1, v2] = digests as [string, string];

    const created = await putTag(name, 'stable', { digest: v1 });
    expect(created.status).toBe(200);
    expect(await created.json()).toEqual({ tag: 'stable', digest: v1, previous: null });

    const moved = await putTag(name, 'stable', { digest: v2 });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toEqual({ tag: 'stable', digest: v2, previous: v1 });

    expect(await listTags(name)).toEqual({ stable: v2 });
    const resolved = await call(`/v1/resolve/${name}:stable`);
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({ digest: v2, version: 2 });
    // The versions' own views follow the tag.
    const tagsOn = async (digest: string) =>
      ((await (await call(`/v1/artifacts/${name}/versions/${digest}`)).json()) as { tags: string[] }).tags;
    expect(await tagsOn(v1)).toEqual([]);
    expect(await tagsOn(v2)).toEqual(['stable']);
  });

  it('expect: null creates a missing tag; a second attempt → 409 TAG_CONFLICT with the current digest', async () => {
    const { name, digests } = await artifactWithVersions(2);
    const [v1, v2] = digests as [string, string];

    const first = await putTag(name, 'candidate', { digest: v1, expect: null });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ tag: 'candidate', digest: v1, previous: null });

    for (const target of [v2, v1]) {
      const again = await putTag(name, 'candidate', { digest: target, expect: null });
      expect(again.status, `to ${target === v1 ? 'the same' : 'another'} version`).toBe(409);
      const error = await errorOf(again);
      expect(error.code).toBe('TAG_CONFLICT');
      expect(error.details).toMatchObject({ tag: 'candidate', current: v1, expected: null });
    }
    expect(await listTags(name)).toEqual({ candidate: v1 });
    expect(await fullHistory(name, 'candidate')).toHaveLength(1);
  });

  it('expect: <digest> moves only if the tag points there now; otherwise 409 with details.current', async () => {
    const { name, digests } = await artifactWithVersions(3);
    const [v1, v2, v3] = digests as [string, string, string];
    expect((await putTag(name, 'stable', { digest: v1 })).status).toBe(200);

    const ok = await putTag(name, 'stable', { digest: v2, expect: v1 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ tag: 'stable', digest: v2, previous: v1 });

    // Stale expectation: the tag has moved on to v2.
    const stale = await putTag(name, 'stable', { digest: v3, expect: v1 });
    expect(stale.status).toBe(409);
    const error = await errorOf(stale);
    expect(error.code).toBe('TAG_CONFLICT');
    expect(error.details).toMatchObject({ tag: 'stable', current: v2, expected: v1 });

    // An expectation that names no version at all is just as wrong.
    const unknown = await digestOf(randomBytes(16));
    const bogus = await putTag(name, 'stable', { digest: v3, expect: unknown });
    expect(bogus.status).toBe(409);
    expect((await errorOf(bogus)).details).toMatchObject({ current: v2, expected: unknown });

    expect(await listTags(name)).toEqual({ stable: v2 });
    expect((await fullHistory(name, 'stable')).map((e) => e.to)).toEqual([v2, v1]);
  });

  it('expect: <digest> on a tag that does not exist → 409 TAG_CONFLICT with current null, nothing created', async () => {
    const { name, digests } = await artifactWithVersions(2);
    const [v1, v2] = digests as [string, string];
    const res = await putTag(name, 'ghost', { digest: v2, expect: v1 });
    expect(res.status).toBe(409);
    const error = await errorOf(res);
    expect(error.code).toBe('TAG_CONFLICT');
    expect(error.details).toMatchObject({ tag: 'ghost', current: null, expected: v1 });
    expect(await listTags(name)).toEqual({});
    expect((await historyPage(name, 'ghost')).items).toEqual([]);
  });

  it('a no-op move (already there) → 200 with previous = digest, and adds no history event', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const [v1] = digests as [string];
    expect((await putTag(name, 'stable', { digest: v1, reason: 'first' })).status).toBe(200);

    const unconditional = await putTag(name, 'stable', { digest: v1, reason: 'again' });
    expect(unconditional.status).toBe(200);
    expect(await unconditional.json()).toEqual({ tag: 'stable', digest: v1, previous: v1 });

    const conditional = await putTag(name, 'stable', { digest: v1, expect: v1, reason: 'and again' });
    expect(conditional.status).toBe(200);
    expect(await conditional.json()).toEqual({ tag: 'stable', digest: v1, previous: v1 });

    const events = await fullHistory(name, 'stable');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ from: null, to: v1, reason: 'first' });
  });

  it('tags are per artifact: the same tag name on two artifacts moves independently', async () => {
    const a = await artifactWithVersions(1);
    const b = await artifactWithVersions(1);
    expect((await putTag(a.name, 'stable', { digest: a.digests[0] })).status).toBe(200);
    expect((await putTag(b.name, 'stable', { digest: b.digests[0], expect: null })).status).toBe(200);
    expect(await listTags(a.name)).toEqual({ stable: a.digests[0] });
    expect(await listTags(b.name)).toEqual({ stable: b.digests[0] });
    expect(await fullHistory(a.name, 'stable')).toHaveLength(1);
    expect(await fullHistory(b.name, 'stable')).toHaveLength(1);
  });

  it('tags are case-sensitive: Stable and stable are two tags', async () => {
    const { name, digests } = await artifactWithVersions(2);
    expect((await putTag(name, 'stable', { digest: digests[0] })).status).toBe(200);
    expect((await putTag(name, 'Stable', { digest: digests[1], expect: null })).status).toBe(200);
    expect(await listTags(name)).toEqual({ Stable: digests[1], stable: digests[0] });
  });
});

describe('PUT …/tags/:tag under concurrency', () => {
  it('50 concurrent CAS moves with the same expectation → exactly one 200, 49 × 409; history gap-free', async () => {
    const { name, digests } = await artifactWithVersions(6);
    const [v1, ...targets] = digests as [string, ...string[]];
    expect((await putTag(name, 'stable', { digest: v1, expect: null })).status).toBe(200);

    let current = v1;
    // Round 1: each racer to one of five other versions. Round 2: every racer to the same version.
    for (const round of [0, 1]) {
      const candidates = targets.filter((d) => d !== current);
      const wanted = Array.from({ length: 50 }, (_, i) =>
        round === 0 ? candidates[i % candidates.length]! : candidates[0]!,
      );
      const results = await Promise.all(
        wanted.map((digest, i) => putTag(name, 'stable', { digest, expect: current, reason: `racer ${i}` })),
      );
      const statuses = results.map((r) => r.status);
      expect(
        statuses.filter((s) => s === 200),
        `round ${round}`,
      ).toHaveLength(1);
      expect(
        statuses.filter((s) => s === 409),
        `round ${round}`,
      ).toHaveLength(49);

      const winnerIndex = statuses.indexOf(200);
      const winner = (await results[winnerIndex]!.json()) as {
        tag: string;
        digest: string;
        previous: string;
      };
      expect(winner).toEqual({ tag: 'stable', digest: wanted[winnerIndex], previous: current });
      for (const [i, res] of results.entries()) {
        if (i === winnerIndex) continue;
        const error = await errorOf(res);
        expect(error.code).toBe('TAG_CONFLICT');
        // A loser lost because the winner had already moved the tag.
        expect(error.details).toMatchObject({ current: winner.digest, expected: current });
      }
      expect(await listTags(name)).toEqual({ stable: winner.digest });
      current = winner.digest;
    }

    const events = await fullHistory(name, 'stable', 1);
    expect(events).toHaveLength(3);
    expectGapFree(events);
    expect(events[0]!.to).toBe(current);
  });

  it('50 concurrent unconditional moves all succeed, and the history stays gap-free', async () => {
    const { name, digests } = await artifactWithVersions(5);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        putTag(name, 'latest-ish', { digest: digests[i % digests.length] }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    const events = await fullHistory(name, 'latest-ish', 7);
    expectGapFree(events);
    // Every recorded event is a real change, and the newest one is where the tag points now.
    for (const event of events) expect(event.from).not.toBe(event.to);
    expect(await listTags(name)).toEqual({ 'latest-ish': events[0]!.to });
    // Each reported `previous` that differs from its target is one event's `from`.
    const bodies = (await Promise.all(results.map((r) => r.json()))) as {
      digest: string;
      previous: string;
    }[];
    const changes = bodies.filter((b) => b.previous !== b.digest);
    expect(changes).toHaveLength(events.length);
  });

  it('concurrent publishes with tags: ["latest"] and concurrent PUTs keep the history gap-free', async () => {
    const { name, digests } = await artifactWithVersions(2);
    const files = await Promise.all(Array.from({ length: 10 }, (_, i) => storedFile(`f${i}.bin`)));
    const results = await Promise.all([
      ...files.map((file) => publish(name, { kind: 'model', files: [file], tags: ['latest'] })),
      ...Array.from({ length: 10 }, (_, i) => putTag(name, 'latest', { digest: digests[i % 2] })),
    ]);
    expect(results.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(results.slice(10).map((r) => r.status)).toEqual(Array(10).fill(200));
    const events = await fullHistory(name, 'latest', 4);
    expectGapFree(events);
    expect(events.filter((e) => e.reason === 'publish')).toHaveLength(10);
    expect(await listTags(name)).toEqual({ latest: events[0]!.to });
    expect(await versionCount(name)).toBe(12);
  });
});

describe('GET …/tags/:tag/history', () => {
  it('lists every move newest first with from, to, at, by and reason', async () => {
    const { name, digests } = await artifactWithVersions(3);
    const [v1, v2, v3] = digests as [string, string, string];
    const { id, token } = await createToken(['write']);
    const before = Date.now();
    expect((await putTag(name, 'stable', { digest: v1, reason: 'first cut' })).status).toBe(200);
    expect((await putTag(name, 'stable', { digest: v2 }, token)).status).toBe(200);
    expect((await putTag(name, 'stable', { digest: v3, expect: v2, reason: 'ship it' })).status).toBe(200);
    const after = Date.now();

    const page = await historyPage(name, 'stable');
    expect(page.nextCursor).toBeNull();
    expect(page.items).toEqual([
      { from: v2, to: v3, at: expect.any(String), by: 'admin', reason: 'ship it' },
      { from: v1, to: v2, at: expect.any(String), by: `t-write (${id})`, reason: null },
      { from: null, to: v1, at: expect.any(String), by: 'admin', reason: 'first cut' },
    ]);
    for (const event of page.items) {
      expect(new Date(event.at).toISOString()).toBe(event.at);
      expect(Date.parse(event.at)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(event.at)).toBeLessThanOrEqual(after);
    }
    const times = page.items.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('paginates with limit and cursor: no duplicates, no gaps, null cursor at the end', async () => {
    const { name, digests } = await artifactWithVersions(2);
    for (let i = 0; i < 7; i++) {
      const res = await putTag(name, 'flip', { digest: digests[i % 2], reason: `move ${i}` });
      expect(res.status).toBe(200);
    }
    const all = await historyPage(name, 'flip', '?limit=500');
    expect(all.items.map((e) => e.reason)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `move ${i}`));
    expect(all.nextCursor).toBeNull();

    const first = await historyPage(name, 'flip', '?limit=3');
    expect(first.items).toEqual(all.items.slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));

    for (const limit of [1, 2, 3, 6, 7, 8]) {
      const paged = await fullHistory(name, 'flip', limit);
      expect(paged, `limit=${limit}`).toEqual(all.items);
    }
    expectGapFree(all.items);

    // The default page size is 50.
    expect((await historyPage(name, 'flip')).items).toEqual(all.items);
  });

  it('a deleted tag records an event to null; re-creating it records an event from null', async () => {
    const { name, digests } = await artifactWithVersions(2);
    const [v1, v2] = digests as [string, string];
    expect((await putTag(name, 'stable', { digest: v1 })).status).toBe(200);
    expect((await deleteTag(name, 'stable', undefined, '?reason=rollback')).status).toBe(204);

    // After deletion the tag does not exist: expect null succeeds again.
    const recreated = await putTag(name, 'stable', { digest: v2, expect: null, reason: 'again' });
    expect(recreated.status).toBe(200);
    expect(await recreated.json()).toEqual({ tag: 'stable', digest: v2, previous: null });

    const events = await fullHistory(name, 'stable');
    expect(events).toEqual([
      { from: null, to: v2, at: expect.any(String), by: 'admin', reason: 'again' },
      { from: v1, to: null, at: expect.any(String), by: 'admin', reason: 'rollback' },
      { from: null, to: v1, at: expect.any(String), by: 'admin', reason: null },
    ]);
    expectGapFree(events);
  });

  it('history of a tag that never existed is empty; a malformed cursor or limit → 400', async () => {
    const { name } = await artifactWithVersions(1);
    expect(await historyPage(name, 'never')).toEqual({ items: [], nextCursor: null });
    for (const query of ['?cursor=abc', '?cursor=1.5', '?limit=0', '?limit=501', '?limit=x']) {
      const res = await call(`${tagUrl(name, 'never')}/history${query}`);
      expect(res.status, query).toBe(400);
      expect(await errorCode(res)).toBe('BAD_REQUEST');
    }
  });

  it('tags moved by publish record events with reason "publish" and by the actor', async () => {
    const name = uniqueName('acme', 'published');
    const { id, token } = await createToken(['write']);
    const first = await publish(
      name,
      { files: [await storedFile('a.bin')], tags: ['latest', 'nightly'] },
      token,
    );
    expect(first.status).toBe(201);
    const v1 = ((await first.json()) as { digest: string }).digest;
    const second = await publish(name, { files: [await storedFile('b.bin')], tags: ['latest'] }, token);
    expect(second.status).toBe(201);
    const v2 = ((await second.json()) as { digest: string }).digest;

    expect(await listTags(name)).toEqual({ latest: v2, nightly: v1 });
    const by = `t-write (${id})`;
    expect(await fullHistory(name, 'latest')).toEqual([
      { from: v1, to: v2, at: expect.any(String), by, reason: 'publish' },
      { from: null, to: v1, at: expect.any(String), by, reason: 'publish' },
    ]);
    expect(await fullHistory(name, 'nightly')).toEqual([
      { from: null, to: v1, at: expect.any(String), by, reason: 'publish' },
    ]);
  });

  it('a tag listed twice in one publish moves once (one event)', async () => {
    const name = uniqueName('acme', 'twice');
    const { digest } = await publishOk(name, {
      files: [await storedFile('a.bin')],
      tags: ['latest', 'latest'],
    });
    expect(await listTags(name)).toEqual({ latest: digest });
    expect(await fullHistory(name, 'latest')).toHaveLength(1);
  });

  it('re-publishing the same manifest moves its tags back (one event), and a no-op adds none', async () => {
    const name = uniqueName('acme', 'republish');
    const body = { files: [await storedFile('a.bin')], tags: ['latest'] };
    const v1 = (await publishOk(name, body)).digest;
    const v2 = (await publishOk(name, { files: [await storedFile('b.bin')], tags: ['latest'] })).digest;

    const again = await publish(name, body);
    expect(again.status).toBe(200);
    expect(await listTags(name)).toEqual({ latest: v1 });
    const sameAgain = await publish(name, body);
    expect(sameAgain.status).toBe(200);

    const events = await fullHistory(name, 'latest');
    expect(events.map((e) => [e.from, e.to, e.reason])).toEqual([
      [v2, v1, 'publish'],
      [v1, v2, 'publish'],
      [null, v1, 'publish'],
    ]);
  });
});

describe('DELETE …/tags/:tag', () => {
  it('→ 204; the tag is no longer listed; deleting again → 404 TAG_UNKNOWN', async () => {
    const { name, digests } = await artifactWithVersions(1);
    expect((await putTag(name, 'stable', { digest: digests[0] })).status).toBe(200);
    expect((await putTag(name, 'keep', { digest: digests[0] })).status).toBe(200);

    const res = await deleteTag(name, 'stable');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await listTags(name)).toEqual({ keep: digests[0] });
    const artifact = await call(`/v1/artifacts/${name}`);
    expect(((await artifact.json()) as { tags: unknown }).tags).toEqual({ keep: digests[0] });
    const byTag = await call(`/v1/artifacts/${name}/versions/stable`);
    expect(byTag.status).toBe(404);
    expect(await errorCode(byTag)).toBe('TAG_UNKNOWN');

    const again = await deleteTag(name, 'stable');
    expect(again.status).toBe(404);
    const error = await errorOf(again);
    expect(error.code).toBe('TAG_UNKNOWN');
    expect(error.details).toMatchObject({ tag: 'stable' });
    // The failed delete recorded nothing: one move, one deletion.
    expect((await fullHistory(name, 'stable')).map((e) => e.to)).toEqual([null, digests[0]]);
  });

  it('deleting a tag that never existed → 404 TAG_UNKNOWN and no history event', async () => {
    const { name } = await artifactWithVersions(1);
    const res = await deleteTag(name, 'never');
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('TAG_UNKNOWN');
    expect((await historyPage(name, 'never')).items).toEqual([]);
  });

  it('deleting a tag leaves the version it pointed to in place', async () => {
    const { name, digests } = await artifactWithVersions(1);
    expect((await putTag(name, 'stable', { digest: digests[0] })).status).toBe(200);
    expect((await deleteTag(name, 'stable')).status).toBe(204);
    const version = await call(`/v1/artifacts/${name}/versions/${digests[0]}`);
    expect(version.status).toBe(200);
  });
});

describe('GET …/tags', () => {
  it('→ {tag: digest} for every tag of the artifact, {} when there are none', async () => {
    const { name, digests } = await artifactWithVersions(2);
    const [v1, v2] = digests as [string, string];
    expect(await listTags(name)).toEqual({});
    for (const [tag, digest] of [
      ['stable', v1],
      ['latest', v2],
      ['canary', v2],
      ['v1.0.0', v1],
    ] as const) {
      expect((await putTag(name, tag, { digest })).status).toBe(200);
    }
    const tags = await listTags(name);
    expect(tags).toEqual({ canary: v2, latest: v2, stable: v1, 'v1.0.0': v1 });
    const artifact = await call(`/v1/artifacts/${name}`);
    expect(((await artifact.json()) as { tags: unknown }).tags).toEqual(tags);
  });
});

describe('tag targets must be versions of the artifact', () => {
  it('a version of another artifact → 422 VERSION_UNKNOWN, nothing moved, no event', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const other = await artifactWithVersions(1);
    expect((await putTag(name, 'stable', { digest: digests[0] })).status).toBe(200);

    for (const body of [
      { digest: other.digests[0] },
      { digest: other.digests[0], expect: digests[0] },
      { digest: other.digests[0], expect: null },
    ]) {
      const res = await putTag(name, 'stable', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const error = await errorOf(res);
      expect(error.code).toBe('VERSION_UNKNOWN');
      expect(error.details).toMatchObject({ digest: other.digests[0] });
    }
    const fresh = await putTag(name, 'fresh', { digest: other.digests[0], expect: null });
    expect(fresh.status).toBe(422);

    expect(await listTags(name)).toEqual({ stable: digests[0] });
    expect(await listTags(other.name)).toEqual({});
    expect(await fullHistory(name, 'stable')).toHaveLength(1);
    expect((await historyPage(name, 'fresh')).items).toEqual([]);
  });

  it('an unknown digest (even a stored blob that is no version) → 422 VERSION_UNKNOWN, nothing moved', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const file = await storedFile('plain.bin');
    for (const digest of [await digestOf(randomBytes(32)), file.digest]) {
      const res = await putTag(name, 'stable', { digest });
      expect(res.status).toBe(422);
      expect(await errorCode(res)).toBe('VERSION_UNKNOWN');
    }
    expect(await listTags(name)).toEqual({});
    expect((await historyPage(name, 'stable')).items).toEqual([]);
    expect((await putTag(name, 'stable', { digest: digests[0] })).status).toBe(200);
  });
});

describe('protected tags', () => {
  it('production needs promote: a write token → 403 DENIED for PUT and DELETE; promote succeeds', async () => {
    const { name, digests } = await artifactWithVersions(2);
    const [v1, v2] = digests as [string, string];
    const { token: write } = await createToken(['write']);
    const { id: promoteId, token: promote } = await createToken(['promote']);

    const denied = await putTag(name, 'production', { digest: v1 }, write);
    expect(denied.status).toBe(403);
    const error = await errorOf(denied);
    expect(error.code).toBe('DENIED');
    expect(error.details).toMatchObject({ tag: 'production', required: 'promote' });
    expect(await listTags(name)).toEqual({});

    const promoted = await putTag(
      name,
      'production',
      { digest: v1, expect: null, reason: 'go live' },
      promote,
    );
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toEqual({ tag: 'production', digest: v1, previous: null });

    const moveDenied = await putTag(name, 'production', { digest: v2, expect: v1 }, write);
    expect(moveDenied.status).toBe(403);
    const deleteDenied = await deleteTag(name, 'production', write);
    expect(deleteDenied.status).toBe(403);
    expect(await errorCode(deleteDenied)).toBe('DENIED');
    expect(await listTags(name)).toEqual({ production: v1 });

    expect((await putTag(name, 'production', { digest: v2, expect: v1 }, promote)).status).toBe(200);
    expect((await deleteTag(name, 'production', promote)).status).toBe(204);
    const events = await fullHistory(name, 'production');
    expect(events.map((e) => [e.from, e.to])).toEqual([
      [v2, null],
      [v1, v2],
      [null, v1],
    ]);
    expect(events.every((e) => e.by === `t-promote (${promoteId})`)).toBe(true);
  });

  it('a write token moves and deletes non-protected tags such as staging; so does promote', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const { token: write } = await createToken(['write']);
    const { token: promote } = await createToken(['promote']);
    expect((await putTag(name, 'staging', { digest: digests[0] }, write)).status).toBe(200);
    expect((await deleteTag(name, 'staging', write)).status).toBe(204);
    expect((await putTag(name, 'staging', { digest: digests[0] }, promote)).status).toBe(200);
    expect(await listTags(name, write)).toEqual({ staging: digests[0] });
  });

  it('protection is by exact name: Production and production-eu are not protected', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const { token: write } = await createToken(['write']);
    for (const tag of ['Production', 'production-eu', 'prod']) {
      expect((await putTag(name, tag, { digest: digests[0] }, write)).status, tag).toBe(200);
    }
  });

  it('a read token → 403 DENIED on PUT and DELETE, but may list tags and read history', async () => {
    const { name, digests } = await artifactWithVersions(1);
    expect((await putTag(name, 'staging', { digest: digests[0] })).status).toBe(200);
    const { token: read } = await createToken(['read']);
    for (const tag of ['staging', 'production']) {
      const put = await putTag(name, tag, { digest: digests[0] }, read);
      expect(put.status, tag).toBe(403);
      expect(await errorCode(put)).toBe('DENIED');
      const del = await deleteTag(name, tag, read);
      expect(del.status, tag).toBe(403);
      expect(await errorCode(del)).toBe('DENIED');
    }
    expect(await listTags(name, read)).toEqual({ staging: digests[0] });
    const history = await call(`${tagUrl(name, 'staging')}/history`, { token: read });
    expect(history.status).toBe(200);
  });

  it('anonymous → 401 UNAUTHORIZED for PUT, DELETE, list and history', async () => {
    const { name, digests } = await artifactWithVersions(1);
    expect((await putTag(name, 'staging', { digest: digests[0] })).status).toBe(200);
    const responses = [
      await putTag(name, 'staging', { digest: digests[0] }, null),
      await putTag(name, 'production', { digest: digests[0] }, null),
      await deleteTag(name, 'staging', null),
      await call(`/v1/artifacts/${name}/tags`, { token: null }),
      await call(`${tagUrl(name, 'staging')}/history`, { token: null }),
    ];
    for (const res of responses) {
      expect(res.status).toBe(401);
      expect(await errorCode(res)).toBe('UNAUTHORIZED');
    }
    expect(await listTags(name)).toEqual({ staging: digests[0] });
  });

  it('publishing with tags: ["production"] and a write token → 403 DENIED, and no version is left behind', async () => {
    const { token: write } = await createToken(['write']);

    // A new artifact: neither the artifact nor a version exists afterwards.
    const fresh = uniqueName('acme', 'denied');
    const denied = await publish(fresh, { files: [await storedFile('a.bin')], tags: ['production'] }, write);
    expect(denied.status).toBe(403);
    expect(await errorCode(denied)).toBe('DENIED');
    const missing = await call(`/v1/artifacts/${fresh}`);
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('ARTIFACT_UNKNOWN');
    expect(await versionCount(fresh)).toBe(0);

    // An existing artifact: still one version, no tag moved.
    const { name, digests } = await artifactWithVersions(1);
    const mixed = await publish(
      name,
      { files: [await storedFile('b.bin')], tags: ['latest', 'production'] },
      write,
    );
    expect(mixed.status).toBe(403);
    expect(await versionCount(name)).toBe(1);
    expect(await listTags(name)).toEqual({});
    expect((await historyPage(name, 'latest')).items).toEqual([]);
    const versions = await call(`/v1/artifacts/${name}/versions`);
    expect(((await versions.json()) as { items: { digest: string }[] }).items.map((v) => v.digest)).toEqual(
      digests,
    );
  });

  it('publishing with tags: ["production"] and write + promote → 201, tag moved with reason "publish"', async () => {
    const { id, token } = await createToken(['write', 'promote']);
    const name = uniqueName('acme', 'promoted');
    const res = await publish(name, { files: [await storedFile('a.bin')], tags: ['production'] }, token);
    expect(res.status).toBe(201);
    const { digest } = (await res.json()) as { digest: string };
    expect(await listTags(name)).toEqual({ production: digest });
    expect(await fullHistory(name, 'production')).toEqual([
      { from: null, to: digest, at: expect.any(String), by: `t-write-promote (${id})`, reason: 'publish' },
    ]);
  });

  it('PROTECTED_TAGS is configurable: with "gold,production" gold needs promote', async () => {
    const app = createApp();
    const env: Bindings = { ...testEnv, PROTECTED_TAGS: 'gold,production' };
    const { name, digests } = await artifactWithVersions(1);
    const { token: write } = await createToken(['write']);
    const { token: promote } = await createToken(['promote']);
    const put = (tag: string, token: string) =>
      app.request(
        tagUrl(name, tag),
        {
          method: 'PUT',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ digest: digests[0] }),
        },
        env,
      );

    for (const tag of ['gold', 'production']) {
      const denied = await put(tag, write);
      expect(denied.status, tag).toBe(403);
      expect(await errorCode(denied)).toBe('DENIED');
    }
    const del = await app.request(
      tagUrl(name, 'gold'),
      { method: 'DELETE', headers: { Authorization: `Bearer ${write}` } },
      env,
    );
    expect(del.status).toBe(403);
    expect((await put('silver', write)).status).toBe(200);
    expect((await put('gold', promote)).status).toBe(200);

    // With the default configuration, gold is an ordinary tag.
    expect((await putTag(name, 'gold', { digest: digests[0] }, write)).status).toBe(200);
    expect((await deleteTag(name, 'gold', write)).status).toBe(204);
  });

  it('PROTECTED_TAGS replaces the default: with "gold" alone, production is an ordinary tag', async () => {
    const app = createApp();
    const { name, digests } = await artifactWithVersions(1);
    const { token: write } = await createToken(['write']);
    const res = await app.request(
      tagUrl(name, 'production'),
      {
        method: 'PUT',
        headers: { Authorization: `Bearer ${write}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ digest: digests[0] }),
      },
      { ...testEnv, PROTECTED_TAGS: ' gold ' },
    );
    expect(res.status).toBe(200);
    expect(await listTags(name)).toEqual({ production: digests[0] });
  });

  it('with PUBLIC_READ anonymous clients list tags and read history, but still cannot move or delete', async () => {
    const app = createApp();
    const env: Bindings = { ...testEnv, PUBLIC_READ: 'true' };
    const { name, digests } = await artifactWithVersions(1);
    expect((await putTag(name, 'staging', { digest: digests[0] })).status).toBe(200);

    const list = await app.request(`/v1/artifacts/${name}/tags`, {}, env);
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ staging: digests[0] });
    const history = await app.request(`${tagUrl(name, 'staging')}/history`, {}, env);
    expect(history.status).toBe(200);
    expect(((await history.json()) as HistoryPage).items).toHaveLength(1);

    const put = await app.request(
      tagUrl(name, 'staging'),
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ digest: digests[0] }),
      },
      env,
    );
    expect(put.status).toBe(401);
    expect(await errorCode(put)).toBe('UNAUTHORIZED');
    const del = await app.request(tagUrl(name, 'staging'), { method: 'DELETE' }, env);
    expect(del.status).toBe(401);
    expect(await listTags(name)).toEqual({ staging: digests[0] });
  });

  it('the admin token may move protected tags', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const res = await call(tagUrl(name, 'production'), {
      method: 'PUT',
      json: { digest: digests[0] },
      token: ADMIN,
    });
    expect(res.status).toBe(200);
  });
});

describe('namespace-limited tokens', () => {
  it('moving or deleting a tag in another namespace → 403 DENIED; in its own namespace it works', async () => {
    const mine = await artifactWithVersions(1, 'acme');
    const theirs = await artifactWithVersions(1, 'globex');
    expect((await putTag(theirs.name, 'staging', { digest: theirs.digests[0] })).status).toBe(200);
    const { token } = await createToken(['write', 'promote'], { namespaces: ['acme'] });

    const put = await putTag(theirs.name, 'staging', { digest: theirs.digests[0] }, token);
    expect(put.status).toBe(403);
    const error = await errorOf(put);
    expect(error.code).toBe('DENIED');
    expect(error.details).toMatchObject({ namespace: 'globex' });
    const del = await deleteTag(theirs.name, 'staging', token);
    expect(del.status).toBe(403);
    expect(await errorCode(del)).toBe('DENIED');
    expect(await listTags(theirs.name)).toEqual({ staging: theirs.digests[0] });
    expect(await fullHistory(theirs.name, 'staging')).toHaveLength(1);

    expect((await putTag(mine.name, 'staging', { digest: mine.digests[0] }, token)).status).toBe(200);
    expect((await putTag(mine.name, 'production', { digest: mine.digests[0] }, token)).status).toBe(200);
    expect(await listTags(mine.name, token)).toEqual({
      production: mine.digests[0],
      staging: mine.digests[0],
    });
  });

  it('reading tags of another namespace → 404 ARTIFACT_UNKNOWN, exactly as if it did not exist', async () => {
    const theirs = await artifactWithVersions(1, 'globex');
    expect((await putTag(theirs.name, 'staging', { digest: theirs.digests[0] })).status).toBe(200);
    const { token } = await createToken(['read'], { namespaces: ['acme'] });
    const nonexistent = uniqueName('globex', 'nothing');

    for (const suffix of ['/tags', '/tags/staging/history', '']) {
      const hidden = await call(`/v1/artifacts/${theirs.name}${suffix}`, { token });
      const absent = await call(`/v1/artifacts/${nonexistent}${suffix}`, { token });
      expect(hidden.status, suffix).toBe(404);
      expect(absent.status, suffix).toBe(404);
      const [h, a] = [await errorOf(hidden), await errorOf(absent)];
      expect(h.code).toBe('ARTIFACT_UNKNOWN');
      expect(a.code).toBe('ARTIFACT_UNKNOWN');
      expect(Object.keys(h.details ?? {})).toEqual(Object.keys(a.details ?? {}));
    }
  });
});

describe('validation', () => {
  it('bad tag names in the URL → 400 TAG_INVALID on PUT, DELETE and history', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const bad = ['-x', '.x', 'a'.repeat(129), 'a%20b', 'caf%C3%A9', 'a%2Fb', 'a:b', 'a@b', 'a%00'];
    for (const tag of bad) {
      const put = await putTag(name, tag, { digest: digests[0] });
      expect(put.status, `PUT ${tag}`).toBe(400);
      expect(await errorCode(put), `PUT ${tag}`).toBe('TAG_INVALID');
      const del = await deleteTag(name, tag);
      expect(del.status, `DELETE ${tag}`).toBe(400);
      expect(await errorCode(del), `DELETE ${tag}`).toBe('TAG_INVALID');
      const history = await call(`${tagUrl(name, tag)}/history`);
      expect(history.status, `history ${tag}`).toBe(400);
      expect(await errorCode(history), `history ${tag}`).toBe('TAG_INVALID');
    }
    expect(await listTags(name)).toEqual({});
  });

  it('the longest and oddest valid tag names are accepted', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const good = ['a'.repeat(128), '_x', '0a', 'V1.2.3-rc_1', 'a..b', 'x-'];
    for (const tag of good) {
      const res = await putTag(name, tag, { digest: digests[0] });
      expect(res.status, tag).toBe(200);
      expect(((await res.json()) as { tag: string }).tag).toBe(tag);
    }
    expect(Object.keys(await listTags(name)).sort()).toEqual([...good].sort());
  });

  it('a malformed digest or expect in the body → 400 DIGEST_INVALID, nothing moved', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const hex = digests[0]!.slice(7);
    for (const body of [
      { digest: 'sha256:abc' },
      { digest: `sha256:${hex.toUpperCase()}` },
      { digest: hex },
      { digest: `md5:${hex.slice(0, 32)}` },
      { digest: 42 },
      {},
      { digest: digests[0], expect: 'sha256:abc' },
      { digest: digests[0], expect: 'latest' },
    ]) {
      const res = await putTag(name, 'stable', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await errorCode(res), JSON.stringify(body)).toBe('DIGEST_INVALID');
    }
    expect(await listTags(name)).toEqual({});
  });

  it('malformed JSON, a non-object body or a bad reason → 400 BAD_REQUEST', async () => {
    const { name, digests } = await artifactWithVersions(1);
    const url = tagUrl(name, 'stable');
    const headers = { 'Content-Type': 'application/json' };
    for (const body of ['{"digest":', 'not json', '']) {
      const res = await call(url, { method: 'PUT', body, headers });
      expect(res.status, body).toBe(400);
      expect(await errorCode(res), body).toBe('BAD_REQUEST');
    }
    for (const json of [
      { digest: digests[0], reason: 'x'.repeat(1025) },
      { digest: digests[0], reason: 7 },
    ]) {
      const res = await putTag(name, 'stable', json);
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('BAD_REQUEST');
    }
    const longReason = await call(`${url}?reason=${'x'.repeat(1025)}`, { method: 'DELETE' });
    expect(longReason.status).toBe(400);
    expect(await listTags(name)).toEqual({});
    // A reason of exactly 1024 characters is fine.
    const ok = await putTag(name, 'stable', { digest: digests[0], reason: 'y'.repeat(1024) });
    expect(ok.status).toBe(200);
    expect((await historyPage(name, 'stable')).items[0]!.reason).toBe('y'.repeat(1024));
  });

  it('an unknown artifact → 404 ARTIFACT_UNKNOWN on PUT, DELETE, list and history', async () => {
    const { digests } = await artifactWithVersions(1);
    const nobody = uniqueName('acme', 'nobody');
    const responses = [
      await putTag(nobody, 'stable', { digest: digests[0] }),
      await deleteTag(nobody, 'stable'),
      await call(`/v1/artifacts/${nobody}/tags`),
      await call(`${tagUrl(nobody, 'stable')}/history`),
    ];
    for (const res of responses) {
      expect(res.status).toBe(404);
      expect(await errorCode(res)).toBe('ARTIFACT_UNKNOWN');
    }
  });

  it('a malformed artifact name → 400 NAME_INVALID', async () => {
    const { digests } = await artifactWithVersions(1);
    for (const name of ['Acme/x', 'acme/-x', 'acme/X']) {
      const put = await putTag(name, 'stable', { digest: digests[0] });
      expect(put.status, name).toBe(400);
      expect(await errorCode(put)).toBe('NAME_INVALID');
      const list = await call(`/v1/artifacts/${name}/tags`);
      expect(list.status, name).toBe(400);
      expect(await errorCode(list)).toBe('NAME_INVALID');
    }
  });
});
