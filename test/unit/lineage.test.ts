import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { Impact, LineageGraph } from '../../src/contract/lineage';
import type { Bindings } from '../../src/env';
import { dotString, mermaidText, toDot, toMermaid } from '../../src/lib/graph-text';
import { lineage } from '../../src/services/lineage';
import { ADMIN, call, createToken, errorCode, testDeps, testEnv } from '../helpers/http';
import { type Published, publishOk, storedFile, uniqueName } from '../helpers/registry';

type Graph = LineageGraph;

type Input = { ref: string; role: string };

async function version(
  name: string,
  kind: 'dataset' | 'model' | 'other',
  inputs: Input[] = [],
  tags: string[] = [],
): Promise<Published> {
  return publishOk(name, { kind, files: [await storedFile('f.bin')], inputs, tags });
}

async function versionId(digest: string): Promise<number> {
  const row = await testEnv.DB.prepare('SELECT id FROM versions WHERE digest = ?')
    .bind(digest)
    .first<{ id: number }>();
  return row!.id;
}

const input = (v: Published, role = 'training'): Input => ({ ref: `${v.artifact}@${v.version}`, role });

async function getJson<T>(path: string, token?: string): Promise<T> {
  const res = await call(path, { token });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const graphOf = (ref: string, query = '', token?: string) =>
  getJson<Graph>(`/v1/lineage/${ref}${query}`, token);
const impactOf = (ref: string, token?: string) => getJson<Impact>(`/v1/impact/${ref}`, token);
const at = (v: Published) => `${v.artifact}@${v.version}`;
const digestsOf = (g: Graph) => g.nodes.map((n) => n.digest).sort();
const edgeSet = (g: Graph) => g.edges.map((e) => `${e.from}>${e.to}:${e.role}`).sort();

/** data → features-a, data → features-b, both → model. */
async function diamond() {
  const data = await version(uniqueName('acme', 'data'), 'dataset', [], ['latest', 'v1']);
  const fa = await version(uniqueName('acme', 'features-a'), 'dataset', [input(data, 'source')]);
  const fb = await version(uniqueName('acme', 'features-b'), 'dataset', [input(data, 'source')]);
  const model = await version(
    uniqueName('acme', 'model'),
    'model',
    [input(fa, 'training'), input(fb, 'evaluation')],
    ['production'],
  );
  return { data, fa, fb, model };
}

describe('GET /v1/lineage/{ref}: walks', () => {
  it('a diamond upstream of the model: every node once at its minimal depth, every edge with its role', async () => {
    const { data, fa, fb, model } = await diamond();
    const g = await graphOf(`${model.artifact}:production`);
    expect(g).toMatchObject({ root: model.digest, direction: 'up', depth: 10, truncated: false, hidden: 0 });
    expect(g.nodes[0]).toEqual({
      digest: model.digest,
      artifact: model.artifact,
      version: 1,
      kind: 'model',
      tags: ['production'],
      depth: 0,
    });
    expect(g.nodes.find((n) => n.digest === data.digest)).toEqual({
      digest: data.digest,
      artifact: data.artifact,
      version: 1,
      kind: 'dataset',
      tags: ['latest', 'v1'],
      depth: 2,
    });
    expect(g.nodes.map((n) => n.depth)).toEqual([0, 1, 1, 2]);
    expect(edgeSet(g)).toEqual(
      [
        `${data.digest}>${fa.digest}:source`,
        `${data.digest}>${fb.digest}:source`,
        `${fa.digest}>${model.digest}:training`,
        `${fb.digest}>${model.digest}:evaluation`,
      ].sort(),
    );
  });

  it('downstream of the data reaches the same four versions; the model once, at depth 2', async () => {
    const { data, fa, fb, model } = await diamond();
    const g = await graphOf(`${data.artifact}@${data.digest}`, '?direction=down');
    expect(g.direction).toBe('down');
    expect(digestsOf(g)).toEqual([data.digest, fa.digest, fb.digest, model.digest].sort());
    expect(g.nodes.filter((n) => n.digest === model.digest)).toHaveLength(1);
    expect(g.nodes.at(-1)).toMatchObject({ digest: model.digest, depth: 2 });
    expect(g.edges).toHaveLength(4);
  });

  it('direction=both from one side of the diamond: its input and its output, and only the edges among them', async () => {
    const { data, fa, model } = await diamond();
    const g = await graphOf(at(fa), '?direction=both');
    expect(digestsOf(g)).toEqual([data.digest, fa.digest, model.digest].sort());
    expect(g.nodes.map((n) => n.depth)).toEqual([0, 1, 1]);
    expect(edgeSet(g)).toEqual(
      [`${data.digest}>${fa.digest}:source`, `${fa.digest}>${model.digest}:training`].sort(),
    );
  });

  it('a version without lineage, and depth=0: the root alone', async () => {
    const { model } = await diamond();
    const g = await graphOf(at(model), '?direction=both&depth=0');
    expect(g.nodes.map((n) => n.digest)).toEqual([model.digest]);
    expect(g.edges).toEqual([]);
  });

  it('tags on nodes are the current ones: a moved tag leaves the old version', async () => {
    const { data, fa } = await diamond();
    const data2 = await version(data.artifact, 'dataset', [], ['latest']);
    const g = await graphOf(at(fa));
    expect(g.nodes.find((n) => n.digest === data.digest)?.tags).toEqual(['v1']);
    expect((await graphOf(at(data2))).nodes[0]?.tags).toEqual(['latest']);
  });
});

describe('GET /v1/lineage/{ref}: a 20-deep chain and depth limits', () => {
  // One artifact whose version n + 1 consumes version n: versions 1 … 21, 20 edges.
  let chain: Published[] | undefined;
  async function getChain(): Promise<Published[]> {
    if (chain) return chain;
    const name = uniqueName('acme', 'chain');
    const file = await storedFile('f.bin');
    const out: Published[] = [await publishOk(name, { kind: 'dataset', files: [file] })];
    for (let i = 1; i <= 20; i++) {
      out.push(
        await publishOk(name, { kind: 'dataset', files: [file], inputs: [input(out[i - 1]!, 'parent')] }),
      );
    }
    chain = out;
    return out;
  }

  it('down from the head with the default depth 10: versions 1 … 11', async () => {
    const c = await getChain();
    const g = await graphOf(at(c[0]!), '?direction=down');
    expect(g.depth).toBe(10);
    expect(g.nodes.map((n) => n.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(g.nodes.map((n) => n.depth)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(g.edges).toHaveLength(10);
    expect(g.truncated).toBe(false);
  });

  it('up from the tail with depth=20 reaches the head; depth=19 stops one short; depth=50 is allowed', async () => {
    const c = await getChain();
    const tail = at(c[20]!);
    expect((await graphOf(tail, '?depth=20')).nodes).toHaveLength(21);
    const cut = await graphOf(tail, '?depth=19');
    expect(cut.nodes.map((n) => n.version)).not.toContain(1);
    expect(cut.nodes).toHaveLength(20);
    const max = await graphOf(tail, '?depth=50');
    expect(max.nodes).toHaveLength(21);
    expect(max.nodes.at(-1)).toMatchObject({ version: 1, depth: 20 });
  });

  it('both from the middle with depth=3: three each way', async () => {
    const c = await getChain();
    const g = await graphOf(at(c[10]!), '?direction=both&depth=3');
    expect(g.nodes.map((n) => n.version).sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12, 13, 14]);
    expect(g.edges).toHaveLength(6);
  });

  it('more versions than the node cap: the closest are kept and the answer says truncated', async () => {
    const c = await getChain();
    const root = { id: await versionId(c[10]!.digest), digest: c[10]!.digest };
    const g = await lineage(testDeps(), root, { direction: 'both', depth: 50, maxNodes: 5 }, null);
    expect(g.truncated).toBe(true);
    // c[10] is version 11: the five closest are 11, then 10 and 12, then 9 and 13.
    expect(g.nodes.map((n) => n.version).sort((a, b) => a - b)).toEqual([9, 10, 11, 12, 13]);
    const whole = await lineage(testDeps(), root, { direction: 'down', depth: 10, maxNodes: 11 }, null);
    expect(whole.truncated).toBe(false);
    expect(whole.nodes).toHaveLength(11);
  });

  it('depth=51, negative, fractional, empty or not a number → 400 BAD_REQUEST', async () => {
    const c = await getChain();
    for (const depth of ['51', '-1', '1.5', '', 'ten', '1000']) {
      const res = await call(`/v1/lineage/${at(c[0]!)}?depth=${depth}`);
      expect(res.status, `depth=${depth}`).toBe(400);
      expect(await errorCode(res)).toBe('BAD_REQUEST');
    }
  });
});

describe('GET /v1/lineage/{ref}?format=mermaid|dot', () => {
  async function pair() {
    const data = await version(uniqueName('acme', 'data'), 'dataset', [], ['latest']);
    const model = await version(uniqueName('acme', 'model'), 'model', [input(data)], ['production']);
    return { data, model };
  }

  it('mermaid: text/plain graph LR, nodes labelled artifact@n with tags, edges labelled with the role', async () => {
    const { data, model } = await pair();
    const res = await call(`/v1/lineage/${at(model)}?format=mermaid`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const lines = (await res.text()).split('\n');
    expect(lines[0]).toBe('graph LR');
    expect(lines).toContain(`  n0("${model.artifact}@1 (production)")`);
    expect(lines).toContain(`  n1[("${data.artifact}@1 (latest)")]`);
    expect(lines).toContain('  n1 -->|"training"| n0');
    expect(lines).toContain('  class n0 root');
  });

  it('dot: text/vnd.graphviz digraph, quoted labels, edges labelled with the role', async () => {
    const { data, model } = await pair();
    const res = await call(`/v1/lineage/${at(data)}?format=dot&direction=down`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/vnd.graphviz; charset=utf-8');
    const text = await res.text();
    const lines = text.split('\n');
    expect(lines[0]).toBe('digraph lineage {');
    expect(lines).toContain(`  n0 [label="${data.artifact}@1\\nlatest", shape=cylinder, penwidth=2];`);
    expect(lines).toContain(`  n1 [label="${model.artifact}@1\\nproduction", shape=box, style=rounded];`);
    expect(lines).toContain('  n0 -> n1 [label="training"];');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('format=svg or direction=sideways → 400 BAD_REQUEST', async () => {
    const { model } = await pair();
    for (const q of ['format=svg', 'direction=sideways', 'direction=up&direction=down']) {
      const res = await call(`/v1/lineage/${at(model)}?${q}`);
      expect(res.status, q).toBe(400);
      expect(await errorCode(res)).toBe('BAD_REQUEST');
    }
  });

  const hostile = {
    root: 'sha256:r',
    nodes: [
      { digest: 'sha256:r', artifact: 'evil"]\n  x[("pwn', version: 1, kind: 'model', tags: ['a"b', 'c]|d'] },
      { digest: 'sha256:s', artifact: 'back\\', version: 2, kind: 'dataset', tags: ['%%;#<b>'] },
    ],
    edges: [{ from: 'sha256:s', to: 'sha256:r', role: 'r|"x"]\n' }],
    truncated: false,
    hidden: 0,
  };

  it('hostile names, tags and roles cannot break Mermaid: entity-escaped, one statement per line', () => {
    expect(mermaidText('a"b]c#')).toBe('a#34;b#93;c#35;');
    const lines = toMermaid(hostile).trimEnd().split('\n');
    expect(lines).toEqual([
      'graph LR',
      '  n0("evil#34;#93;#10;  x#91;(#34;pwn@1 (a#34;b, c#93;#124;d)")',
      '  n1[("back#92;@2 (#37;#37;#59;#35;#60;b#62;)")]',
      '  n1 -->|"r#124;#34;x#34;#93;#10;"| n0',
      '  classDef root stroke-width:3px',
      '  class n0 root',
    ]);
  });

  it('hostile names, tags and roles cannot break DOT: quotes and backslashes escaped, no raw line breaks', () => {
    expect(dotString('x\\')).toBe('"x\\\\"');
    expect(dotString('a"b\nc')).toBe('"a\\"b c"');
    const lines = toDot(hostile).trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[3]).toBe(
      '  n0 [label="evil\\"]   x[(\\"pwn@1\\na\\"b, c]|d", shape=box, style=rounded, penwidth=2];',
    );
    expect(lines[4]).toBe('  n1 [label="back\\\\@2\\n%%;#<b>", shape=cylinder];');
    // Every statement is `id [attrs];` or `id -> id [attrs];` with only well-formed quoted strings.
    const quoted = '"(?:[^"\\\\]|\\\\.)*"';
    const attr = `[a-z]+=(?:${quoted}|[a-z0-9]+)`;
    const stmt = new RegExp(`^  n\\d+(?: -> n\\d+)? \\[${attr}(?:, ${attr})*\\];$`);
    for (const line of lines.slice(3, 6)) expect(line).toMatch(stmt);
  });
});

describe('GET /v1/impact/{ref}', () => {
  it('a dataset feeding several models: only those a protected tag points to, each with a shortest path', async () => {
    const data = await version(uniqueName('acme', 'data'), 'dataset');
    const features = await version(uniqueName('acme', 'features'), 'dataset', [input(data, 'source')]);
    const m1 = await version(uniqueName('acme', 'm1'), 'model', [input(data)], ['production', 'latest']);
    await version(uniqueName('acme', 'm2'), 'model', [input(data)], ['staging']);
    const m3 = await version(
      uniqueName('acme', 'm3'),
      'model',
      [input(features), input(data, 'eval')],
      ['production'],
    );
    const m4 = await version(uniqueName('acme', 'm4'), 'model', [input(features)], ['production']);
    const res = await call(`/v1/impact/${at(data)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const body = (await res.json()) as Impact;
    expect(body.root).toBe(data.digest);
    expect(body.protectedTags).toEqual(['production']);
    expect(body.hidden).toBe(0);
    const byDigest = new Map(body.versions.map((v) => [v.digest, v]));
    expect(new Set(byDigest.keys())).toEqual(new Set([m1.digest, m3.digest, m4.digest]));
    expect(byDigest.get(m1.digest)).toEqual({
      artifact: m1.artifact,
      version: 1,
      digest: m1.digest,
      tags: ['production'],
      path: [data.digest, m1.digest],
    });
    // m3 consumes the data directly as well as through the features: the shortest path wins.
    expect(byDigest.get(m3.digest)?.path).toEqual([data.digest, m3.digest]);
    expect(byDigest.get(m4.digest)?.path).toEqual([data.digest, features.digest, m4.digest]);
    expect(body.versions.at(-1)?.digest).toBe(m4.digest);
  });

  it('after a promotion moves on, the old model drops out and the new one appears', async () => {
    const data = await version(uniqueName('acme', 'data'), 'dataset');
    const other = await version(uniqueName('acme', 'data'), 'dataset');
    const model = uniqueName('acme', 'model');
    const v1 = await version(model, 'model', [input(data)], ['production']);
    expect((await impactOf(at(data))).versions.map((v) => v.digest)).toEqual([v1.digest]);

    const v2 = await version(model, 'model', [input(data), input(other, 'eval')], ['production']);
    expect((await impactOf(at(data))).versions.map((v) => v.digest)).toEqual([v2.digest]);

    // Promoted to a version trained on something else: nothing downstream of `data` is live.
    await version(model, 'model', [input(other)], ['production']);
    expect((await impactOf(at(data))).versions).toEqual([]);
    expect((await impactOf(at(other))).versions.map((v) => v.version)).toEqual([3]);
  });

  it('the root itself is not its own impact, and PROTECTED_TAGS decides which tags count', async () => {
    const data = await version(uniqueName('acme', 'data'), 'dataset', [], ['production']);
    const gold = await version(uniqueName('acme', 'model'), 'model', [input(data)], ['gold']);
    expect((await impactOf(at(data))).versions).toEqual([]);
    const env: Bindings = { ...testEnv, PROTECTED_TAGS: 'gold,production' };
    const res = await createApp().request(
      `/v1/impact/${at(data)}`,
      { headers: { Authorization: `Bearer ${ADMIN}` } },
      env,
    );
    const body = (await res.json()) as Impact;
    expect(body.protectedTags).toEqual(['gold', 'production']);
    expect(body.versions.map((v) => [v.digest, v.tags])).toEqual([[gold.digest, ['gold']]]);
  });
});

describe('walks stay bounded', () => {
  it('a ladder of 20 double layers (2^20 paths): every version once, impact with one shortest path', async () => {
    const root = await version(uniqueName('acme', 'ladder'), 'dataset');
    let layer = [root];
    const names = [uniqueName('acme', 'rung-a'), uniqueName('acme', 'rung-b')];
    for (let i = 0; i < 20; i++) {
      const inputs = layer.map((v) => input(v, 'source'));
      const last = i === 19;
      layer = [
        await version(names[0]!, 'dataset', inputs, last ? ['production'] : []),
        await version(names[1]!, 'dataset', inputs),
      ];
    }
    const g = await graphOf(at(root), '?direction=down&depth=50');
    expect(g.nodes).toHaveLength(41);
    expect(g.edges).toHaveLength(2 + 19 * 4);
    const imp = await impactOf(at(root));
    expect(imp.versions).toHaveLength(1);
    expect(imp.versions[0]?.path).toHaveLength(21);
    expect(imp.versions[0]?.path[0]).toBe(root.digest);
    expect(imp.versions[0]?.path.at(-1)).toBe(layer[0]?.digest);
  });

  it('a cycle (impossible through publish, forced here in D1) terminates within the depth bound', async () => {
    const a = await version(uniqueName('acme', 'cyc'), 'dataset');
    const b = await version(uniqueName('acme', 'cyc'), 'model', [input(a)], ['production']);
    await testEnv.DB.prepare(
      `INSERT INTO lineage_edges (input_id, output_id, role, ref)
       SELECT (SELECT id FROM versions WHERE digest = ?), (SELECT id FROM versions WHERE digest = ?), 'loop', 'test'`,
    )
      .bind(b.digest, a.digest)
      .run();
    for (const direction of ['up', 'down', 'both']) {
      const g = await graphOf(at(a), `?direction=${direction}&depth=50`);
      expect(digestsOf(g)).toEqual([a.digest, b.digest].sort());
      expect(g.edges).toHaveLength(2);
    }
    expect((await impactOf(at(a))).versions.map((v) => v.path)).toEqual([[a.digest, b.digest]]);
  });
});

describe('namespace-limited tokens', () => {
  /** acme data → other features → acme model (production), and acme data → other model (production). */
  async function crossNamespace() {
    const data = await version(uniqueName('acme', 'data'), 'dataset');
    const features = await version(uniqueName('other', 'features'), 'dataset', [input(data, 'source')]);
    const model = await version(uniqueName('acme', 'model'), 'model', [input(features)], ['production']);
    const theirs = await version(uniqueName('other', 'model'), 'model', [input(data)], ['production']);
    const { token } = await createToken(['read'], { namespaces: ['acme'] });
    return { data, features, model, theirs, token };
  }

  it('lineage hides versions in other namespaces with their edges, and counts them', async () => {
    const { data, features, model, token } = await crossNamespace();
    const g = await graphOf(at(model), '', token);
    expect(g.nodes.map((n) => n.digest)).toEqual([model.digest, data.digest]);
    expect(g.nodes[1]?.depth).toBe(2);
    expect(g.edges).toEqual([]);
    expect(g.hidden).toBe(1);
    const text = await (await call(`/v1/lineage/${at(model)}?format=dot`, { token })).text();
    expect(text).not.toContain(features.artifact);
    expect(text).toContain('// 1 version(s) in other namespaces hidden');

    const admin = await graphOf(at(model));
    expect(admin.nodes).toHaveLength(3);
    expect(admin.hidden).toBe(0);
    expect(admin.edges).toHaveLength(2);
  });

  it('impact lists visible targets (hidden hops as null in the path) and counts hidden ones', async () => {
    const { data, model, theirs, token } = await crossNamespace();
    const limited = await impactOf(at(data), token);
    expect(limited.versions.map((v) => v.path)).toEqual([[data.digest, null, model.digest]]);
    expect(limited.hidden).toBe(1);
    const admin = await impactOf(at(data));
    expect(admin.versions.map((v) => v.digest).sort()).toEqual([model.digest, theirs.digest].sort());
  });

  it('a ref in another namespace does not exist for the token: 404 like resolve', async () => {
    const { features, token } = await crossNamespace();
    for (const route of ['lineage', 'impact']) {
      const res = await call(`/v1/${route}/${at(features)}`, { token });
      expect(res.status).toBe(404);
      expect(await errorCode(res)).toBe('VERSION_UNKNOWN');
    }
  });
});

describe('refs and auth', () => {
  it('unknown tag → 404 TAG_UNKNOWN; unknown number or digest → 404 VERSION_UNKNOWN', async () => {
    const name = uniqueName('acme', 'none');
    const cases: [string, string][] = [
      [`${name}:latest`, 'TAG_UNKNOWN'],
      [`${name}@7`, 'VERSION_UNKNOWN'],
      [`${name}@sha256:${'0'.repeat(64)}`, 'VERSION_UNKNOWN'],
    ];
    for (const route of ['lineage', 'impact']) {
      for (const [ref, code] of cases) {
        const res = await call(`/v1/${route}/${ref}`);
        expect(res.status, `${route} ${ref}`).toBe(404);
        expect(await errorCode(res)).toBe(code);
      }
    }
  });

  it('malformed refs → 400 REF_INVALID', async () => {
    for (const route of ['lineage', 'impact']) {
      for (const ref of [
        'Acme/x:latest',
        'acme/x@0',
        'acme/x@sha256:abc',
        'acme:latest',
        'acme/x',
        '%E0%A4%A',
      ]) {
        const res = await call(`/v1/${route}/${ref}`);
        expect(res.status, `${route} ${ref}`).toBe(400);
        expect(await errorCode(res)).toBe('REF_INVALID');
      }
    }
  });

  it('without a token → 401 (PUBLIC_READ off); a write-only token reads', async () => {
    const data = await version(uniqueName('acme', 'data'), 'dataset');
    for (const route of ['lineage', 'impact']) {
      expect((await call(`/v1/${route}/${at(data)}`, { token: null })).status).toBe(401);
    }
    const { token } = await createToken(['write']);
    expect((await call(`/v1/lineage/${at(data)}`, { token })).status).toBe(200);
  });
});
