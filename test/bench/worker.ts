/**
 * Bench-only Worker entry (test/bench/wrangler.toml; never part of src/index.ts): the real app for
 * every route, plus baseline routes that touch R2 directly so `npm run bench` can compare our
 * routes against a raw BLOBS.put/get of the same bytes in the same local runtime.
 *
 *   PUT    /__bench/raw/:key   env.BLOBS.put(`bench/<key>`, request.body)   → 201 {"key","size"}
 *   GET    /__bench/raw/:key   env.BLOBS.get(`bench/<key>`) streamed back    → 200 octet-stream | 404
 *   DELETE /__bench/raw/:key   env.BLOBS.delete(`bench/<key>`)               → 204
 *
 *   GET    /__bench/d1/tag/:ns/:name/:tag   one raw D1 point lookup of a tag's digest (the
 *                                       baseline for resolve-by-tag)         → 200 {"digest"} | 404
 *   POST   /__bench/seed-blobs?count=N&seed=S  inserts N `blobs` rows with synthetic digests (rows
 *                                       only: publish reads D1, never the bytes) → 200 {"digests"}
 *
 *   GET    /__bench/d1/version?digest=sha256:…  one raw D1 point query of a version by digest
 *                                       (the baseline for lineage and impact) → 200 {…row} | 404
 *   GET    /__bench/raw-manifests?a=<digest>&b=<digest>  both objects `blobs/sha256/<hex>` read
 *                                       fully from R2, in parallel (the baseline for diff)
 *                                       → 200 {"sizes":[a,b]}
 *   POST   /__bench/seed-graph?edges=N&seed=S  a synthetic lineage graph of ≥ N edges written
 *                                       straight into D1 (see seedGraph) → 200 {summary}
 *
 * Diagnostics (to attribute our routes' cost, not baselines of the targets):
 *   PUT /__bench/raw/:key?sha256=<hex>  the same put with R2's sha256 check, as our PUT does
 *   GET /__bench/raw/:key?hash=1        the object streamed through SHA-256 in the Worker, as
 *                                       multipart complete does → 200 {"hex","size"}
 *   GET /__bench/raw-manifests?…&parse=1  the same reads, each also parsed as JSON (as diff does);
 *                                       `&text=1`: each decoded as UTF-8 text only
 *   GET /__bench/d1/count               row counts of artifacts, versions, lineage_edges, tags
 *
 * Table profiles (test/bench/tables.mjs):
 *   POST /__bench/profile?digest=…&path=…[&key=…][&budget=…]  profiles a stored file as the
 *                                       queue consumer does (services/tables/queue.ts profileOne),
 *                                       step after step of `budget` bytes (default STEP_BYTES)
 *                                       → {"state", "steps"}
 *   GET  /__bench/read?digest=…          the same blob streamed through the BlobStore and counted:
 *                                       the plain-read baseline for profiling → {"size"};
 *                                       `&chunk=1`: also cut into FastCDC chunks, each hashed, as
 *                                       server-side chunking would (chunks-server.mjs) → {"size","chunks"}
 */
import { createApp } from '../../src/app';
import { Chunker } from '../../src/contract/chunking';
import type { Digest } from '../../src/contract/grammar';
import { chunkJson } from '../../src/db/client';
import { createDeps } from '../../src/deps';
import type { Bindings } from '../../src/env';
import worker from '../../src/index';
import { profileOne, STEP_BYTES } from '../../src/services/tables/queue';
import { readState } from '../../src/services/tables/store';

const app = createApp();
const RAW_PREFIX = '/__bench/raw/';
const KEY_RE = /^[\w.-]{1,128}$/;

async function raw(request: Request, env: Bindings, name: string, query: URLSearchParams): Promise<Response> {
  if (!KEY_RE.test(name)) return new Response('bad key\n', { status: 400 });
  const key = `bench/${name}`;
  switch (request.method) {
    case 'PUT': {
      const sha256 = query.get('sha256');
      const object = await env.BLOBS.put(key, request.body ?? '', sha256 ? { sha256 } : undefined);
      return Response.json({ key, size: object?.size ?? 0 }, { status: 201 });
    }
    case 'GET': {
      const object = await env.BLOBS.get(key);
      if (!object) return new Response('not found\n', { status: 404 });
      if (query.get('hash') === '1') {
        const digester = new crypto.DigestStream('SHA-256');
        await object.body.pipeTo(digester);
        const hex = [...new Uint8Array(await digester.digest)].map((b) => b.toString(16).padStart(2, '0'));
        return Response.json({ hex: hex.join(''), size: object.size });
      }
      return new Response(object.body, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(object.size) },
      });
    }
    case 'DELETE':
      await env.BLOBS.delete(key);
      return new Response(null, { status: 204 });
    default:
      return new Response('method not allowed\n', { status: 405 });
  }
}

async function rawTagLookup(env: Bindings, ns: string, name: string, tag: string): Promise<Response> {
  const row = await env.DB.prepare(
    'SELECT t.digest FROM tags t JOIN artifacts a ON a.id = t.artifact_id WHERE a.name = ? AND t.name = ?',
  )
    .bind(`${ns}/${name}`, tag)
    .first<{ digest: string }>();
  return row ? Response.json(row) : new Response('not found\n', { status: 404 });
}

/** Seeds blob rows for publish benchmarks: sha256 of `${seed}-${i}` for i < count. */
async function seedBlobs(env: Bindings, count: number, seed: string): Promise<Response> {
  const digests: string[] = [];
  for (let i = 0; i < count; i++) {
    const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${seed}-${i}`));
    digests.push(`sha256:${[...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('')}`);
  }
  const statements = [];
  for (let i = 0; i < digests.length; i += 5000) {
    statements.push(
      env.DB.prepare(
        'INSERT INTO blobs (digest, size, created_at) SELECT value, 1, 0 FROM json_each(?) WHERE true ON CONFLICT DO NOTHING',
      ).bind(JSON.stringify(digests.slice(i, i + 5000))),
    );
  }
  if (statements.length > 0) await env.DB.batch(statements);
  return Response.json({ digests });
}

/** One raw D1 point query: a version row by its digest (unique index), as lineage/impact resolve one. */
async function rawVersion(env: Bindings, digest: string): Promise<Response> {
  const row = await env.DB.prepare(
    'SELECT id, artifact_id, number, digest, file_count, total_size, created_at FROM versions WHERE digest = ?',
  )
    .bind(digest)
    .first();
  return row ? Response.json(row) : new Response('not found\n', { status: 404 });
}

const HEX_DIGEST_RE = /^(?:sha256:)?([0-9a-f]{64})$/;

/**
 * Both manifests read fully from R2, in parallel, at the key layout of src/storage/blob-store.ts
 * (`blobs/sha256/<hex>`): what any diff has to pay at least. Diagnostics: `parse`, each also
 * parsed as JSON (as diff's readManifest does); `text`, each decoded as UTF-8 only.
 */
async function rawManifests(
  env: Bindings,
  digests: string[],
  mode: 'bytes' | 'text' | 'parse',
): Promise<Response> {
  const hexes = digests.map((d) => HEX_DIGEST_RE.exec(d)?.[1]);
  if (hexes.some((h) => !h)) return new Response('bad digest\n', { status: 400 });
  const objects = await Promise.all(
    hexes.map(async (hex) => {
      const object = await env.BLOBS.get(`blobs/sha256/${hex}`);
      if (!object) return null;
      if (mode === 'parse') await object.json();
      else if (mode === 'text') await object.text();
      else await object.arrayBuffer();
      return object.size;
    }),
  );
  if (objects.includes(null)) return new Response('not found\n', { status: 404 });
  return Response.json({ sizes: objects });
}

async function rowCounts(env: Bindings): Promise<Response> {
  const row = await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM artifacts) AS artifacts, (SELECT COUNT(*) FROM versions) AS versions,
            (SELECT COUNT(*) FROM lineage_edges) AS edges, (SELECT COUNT(*) FROM tags) AS tags`,
  ).first();
  return Response.json(row);
}

/** mulberry32 seeded from a string: the same seed always yields the same graph. */
function prng(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type SeedKind = 'dataset' | 'model' | 'other';
interface SeedArtifact {
  name: string;
  kind: SeedKind;
  /** Index of its version 1 in the generated version list; versions are consecutive. */
  first: number;
  count: number;
}

const SEED_HUBS = 24;
const SEED_EPOCH = Date.UTC(2025, 0, 1);
const hexOfBuffer = (buf: ArrayBuffer) =>
  [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * Seeds a synthetic lineage graph of at least `target` edges straight into D1 (artifacts,
 * versions, lineage_edges, tags + their tag_events), in json_each batches: publishing ~50,000
 * versions through the API would take far longer than a bench may. Deterministic per `seed`.
 *
 * Shape (an ML organisation's registry, in namespace `synth`):
 *   - 24 hub datasets `synth/base-NN` (3–12 versions, no inputs): shared corpora, picked with a
 *     quadratic skew, so base-00's versions feed thousands of versions (wide fan-out);
 *   - pipelines `synth/pNNNNN-{raw,clean,features,model-a..c,eval}`, added until the edge count
 *     reaches `target`; each artifact has 1–15 versions (skewed low), numbered 1, 2, 3… A version
 *     consumes the contemporaneous version of its upstream stage (raw → clean → features →
 *     models → eval), sometimes a hub (source/reference/pretrained) or its own previous version
 *     (a fine-tuned model: `base`); 3% of features versions merge 20–60 clean versions of earlier
 *     pipelines (`shard`) and 3% of eval versions benchmark 20–50 earlier models (`candidate`):
 *     the wide fan-in. Edges only ever point from an earlier version to a later one (a DAG, as
 *     publish makes it), each (output, role, input) once, ≤ 100 inputs per version.
 *   - digests are the SHA-256 of `<seed>/<name>@<n>` (sha256-shaped, unique); file counts and
 *     sizes are plausible for the kind; `latest` tags every artifact's last version, `production`
 *     a version of 30% of model artifacts, `staging` 10% of them.
 * Rows only, for lineage/impact/resolve: these versions have no manifest object in R2 and no
 * version_files rows, so GET /v1/manifests or diff on them would fail (nothing does that).
 */
async function seedGraph(env: Bindings, target: number, seed: string): Promise<Response> {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const chance = (p: number) => rand() < p;
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const by = `bench-seed:${seed}`;

  const artifacts: SeedArtifact[] = [];
  /** Per version (by index): its artifact's index and its number. */
  const versionArtifact: number[] = [];
  const versionNumber: number[] = [];
  const edges: [input: number, output: number, role: string][] = [];
  const add = (name: string, kind: SeedKind, count: number): SeedArtifact => {
    const artifact = { name, kind, first: versionArtifact.length, count };
    for (let n = 1; n <= count; n++) {
      versionArtifact.push(artifacts.length);
      versionNumber.push(n);
    }
    artifacts.push(artifact);
    return artifact;
  };
  const link = (output: number, inputs: [role: string, input: number][]) => {
    const seen = new Set<string>();
    for (const [role, input] of inputs) {
      const key = `${role}:${input}`;
      if (input >= output || seen.has(key)) continue;
      seen.add(key);
      edges.push([input, output, role]);
    }
  };
  /** The version of `up` made around when version `n` of an artifact with `count` versions was. */
  const along = (up: SeedArtifact, n: number, count: number) =>
    up.first + Math.min(up.count - 1, Math.max(0, Math.floor(((n - 1) * up.count) / count) - int(0, 1)));
  const span = () => 1 + Math.floor(rand() ** 2 * 15);

  const hubs = Array.from({ length: SEED_HUBS }, (_, h) =>
    add(`synth/base-${pad(h, 2)}`, 'dataset', int(3, 12)),
  );
  const hub = () => {
    const a = hubs[Math.floor(hubs.length * rand() ** 2)]!;
    return a.first + int(0, a.count - 1);
  };
  const cleanPool: number[] = [];
  const modelPool: number[] = [];
  const featurePool: number[] = [];
  const modelArtifacts: SeedArtifact[] = [];
  let pipelines = 0;
  for (; edges.length < target; pipelines++) {
    const pre = `synth/p${pad(pipelines, 5)}`;
    const raw = add(`${pre}-raw`, 'dataset', span());
    const clean = add(`${pre}-clean`, 'dataset', span());
    const features = add(`${pre}-features`, 'dataset', span());
    const models = Array.from({ length: int(1, 3) }, (_, m) =>
      add(`${pre}-model-${'abc'[m]}`, 'model', span()),
    );
    const evals = add(`${pre}-eval`, 'other', span());
    for (let n = 1; n <= raw.count; n++) {
      if (chance(0.4)) link(raw.first + n - 1, [['source', hub()]]);
    }
    for (let n = 1; n <= clean.count; n++) {
      const v = clean.first + n - 1;
      const inputs: [string, number][] = [['raw', along(raw, n, clean.count)]];
      if (chance(0.3)) inputs.push(['reference', hub()]);
      link(v, inputs);
    }
    for (let n = 1; n <= features.count; n++) {
      const v = features.first + n - 1;
      const inputs: [string, number][] = [['clean', along(clean, n, features.count)]];
      if (chance(0.2)) inputs.push(['raw', along(raw, n, features.count)]);
      if (chance(0.03) && cleanPool.length > 0) {
        for (let k = int(20, 60); k > 0; k--) inputs.push(['shard', pick(cleanPool)]);
      }
      link(v, inputs);
    }
    for (const model of models) {
      for (let n = 1; n <= model.count; n++) {
        const v = model.first + n - 1;
        const inputs: [string, number][] = [['training', along(features, n, model.count)]];
        if (chance(0.5)) inputs.push(['pretrained', hub()]);
        if (n > 1 && chance(0.25)) inputs.push(['base', v - 1]);
        link(v, inputs);
      }
    }
    for (let n = 1; n <= evals.count; n++) {
      const v = evals.first + n - 1;
      const inputs: [string, number][] = models.map((m) => ['model', along(m, n, evals.count)]);
      inputs.push(['eval-data', along(features, n, evals.count)]);
      if (chance(0.03) && modelPool.length > 0) {
        for (let k = int(20, 50); k > 0; k--) inputs.push(['candidate', pick(modelPool)]);
      }
      link(v, inputs);
    }
    for (let n = 0; n < clean.count; n++) cleanPool.push(clean.first + n);
    for (let n = 0; n < features.count; n++) featurePool.push(features.first + n);
    for (const m of models) for (let n = 0; n < m.count; n++) modelPool.push(m.first + n);
    modelArtifacts.push(...models);
  }

  const refOf = (v: number) => `${artifacts[versionArtifact[v]!]!.name}@${versionNumber[v]}`;
  const digests = await Promise.all(
    versionArtifact.map(async (_, v) => {
      const hash = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${seed}/${refOf(v)}`));
      return `sha256:${hexOfBuffer(hash)}`;
    }),
  );
  const sizeOf = (kind: SeedKind): [files: number, bytes: number] => {
    if (kind === 'dataset') {
      const files = int(1, 2000);
      return [files, files * int(100_000, 50_000_000)];
    }
    if (kind === 'model') return [int(1, 12), int(10_000_000, 5_000_000_000)];
    return [int(1, 5), int(1_000, 1_000_000)];
  };

  const prepare = (query: string) => env.DB.prepare(query);
  await env.DB.batch([
    ...chunkJson(artifacts.map((a, i) => [a.name, a.kind, SEED_EPOCH + i])).map((json) =>
      prepare(
        `INSERT INTO artifacts (name, namespace, kind, created_at, created_by)
         SELECT j.value ->> 0, 'synth', j.value ->> 1, j.value ->> 2, ?2 FROM json_each(?1) j`,
      ).bind(json, by),
    ),
    ...chunkJson(
      versionArtifact.map((a, v) => [
        artifacts[a]!.name,
        versionNumber[v],
        digests[v],
        ...sizeOf(artifacts[a]!.kind),
      ]),
    ).map((json) =>
      prepare(
        `INSERT INTO versions (artifact_id, number, digest, file_count, total_size, labels, created_at, created_by)
         SELECT a.id, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, NULL, ?2 + j.key * 60000, ?3
         FROM json_each(?1) j JOIN artifacts a ON a.name = j.value ->> 0`,
      ).bind(json, SEED_EPOCH, by),
    ),
  ]);
  const { results } = await prepare('SELECT id, digest FROM versions WHERE created_by = ?')
    .bind(by)
    .all<{ id: number; digest: string }>();
  const idOfDigest = new Map(results.map((r) => [r.digest, r.id]));
  const ids = digests.map((d) => idOfDigest.get(d)!);

  const tagRows: [versionId: number, tag: string][] = [];
  for (const a of artifacts) tagRows.push([ids[a.first + a.count - 1]!, 'latest']);
  for (const m of modelArtifacts) {
    if (chance(0.3)) tagRows.push([ids[m.first + int(Math.max(0, m.count - 3), m.count - 1)]!, 'production']);
    if (chance(0.1)) tagRows.push([ids[m.first + m.count - 1]!, 'staging']);
  }
  const tagAt = SEED_EPOCH + versionArtifact.length * 60000;
  await env.DB.batch([
    ...chunkJson(edges.map(([i, o, role]) => [ids[i], ids[o], role, refOf(i)])).map((json) =>
      prepare(
        `INSERT INTO lineage_edges (input_id, output_id, role, ref)
         SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 FROM json_each(?1) j`,
      ).bind(json),
    ),
    ...chunkJson(tagRows).flatMap((json) => [
      prepare(
        `INSERT INTO tag_events (artifact_id, tag, from_digest, to_digest, at, by, reason)
         SELECT v.artifact_id, j.value ->> 1, NULL, v.digest, ?2, ?3, 'seed'
         FROM json_each(?1) j JOIN versions v ON v.id = j.value ->> 0`,
      ).bind(json, tagAt, by),
      prepare(
        `INSERT INTO tags (artifact_id, name, version_id, digest, updated_at, updated_by)
         SELECT v.artifact_id, j.value ->> 1, v.id, v.digest, ?2, ?3
         FROM json_each(?1) j JOIN versions v ON v.id = j.value ->> 0`,
      ).bind(json, tagAt, by),
    ]),
  ]);

  const fanIn = new Array<number>(digests.length).fill(0);
  const fanOut = new Array<number>(digests.length).fill(0);
  for (const [i, o] of edges) {
    fanOut[i]! += 1;
    fanIn[o]! += 1;
  }
  const histogram = (degrees: number[]) => {
    const buckets = { '0': 0, '1': 0, '2-3': 0, '4-10': 0, '11-100': 0, '>100': 0 };
    for (const d of degrees) {
      const key =
        d === 0 ? '0' : d === 1 ? '1' : d <= 3 ? '2-3' : d <= 10 ? '4-10' : d <= 100 ? '11-100' : '>100';
      buckets[key] += 1;
    }
    const top = degrees.reduce((best, d, v) => (d > degrees[best]! ? v : best), 0);
    return { buckets, max: degrees[top], maxAt: refOf(top) };
  };
  // Features versions spread over the graph: training inputs for the bench's published chain.
  const step = Math.max(1, Math.floor(featurePool.length / 64));
  return Response.json({
    seed,
    pipelines,
    hubs: SEED_HUBS,
    artifacts: artifacts.length,
    versions: digests.length,
    edges: edges.length,
    tags: tagRows.length,
    fanIn: histogram(fanIn),
    fanOut: histogram(fanOut),
    features: featurePool.filter((_, k) => k % step === 0).map(refOf),
    hubRefs: hubs.map((h) => `${h.name}@${h.count}`),
  });
}

async function benchProfile(env: Bindings, q: URLSearchParams): Promise<Response> {
  const deps = createDeps(env);
  const key = q.getAll('key');
  const message = { digest: q.get('digest') ?? '', path: q.get('path') ?? '', key: key.length ? key : null };
  const budget = Number(q.get('budget') ?? STEP_BYTES);
  let steps = 1;
  // Each step is a queue message in production; here they run one after the other.
  while ((await profileOne(deps, message, budget)) === 'continued') steps++;
  const state = await readState(deps, message.digest, key.length ? JSON.stringify(key) : '');
  return Response.json({
    state: state?.state ?? null,
    steps,
    ...(state?.state === 'failed' ? { reason: state.reason } : {}),
  });
}

async function benchRead(env: Bindings, digest: string, chunk: boolean): Promise<Response> {
  const read = await createDeps(env).blobs.get(digest as Digest);
  if (!read) return new Response('not found\n', { status: 404 });
  let size = 0;
  const cutter = chunk ? new ChunkHasher() : null;
  const reader = read.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.byteLength;
    await cutter?.update(r.value);
  }
  reader.releaseLock();
  return Response.json({ size, ...(cutter ? { chunks: await cutter.finish() } : {}) });
}

/**
 * What server-side chunking of a whole upload would cost the Worker (issue 15's stretch goal):
 * the client's FastCDC over the bytes, and each chunk's SHA-256, as the bytes stream by.
 */
class ChunkHasher {
  private readonly chunker = new Chunker();
  private pieces: Uint8Array[] = [];
  private offset = 0;
  private count = 0;

  async update(bytes: Uint8Array): Promise<void> {
    let from = 0;
    for (const end of this.chunker.update(bytes)) {
      this.pieces.push(bytes.subarray(from, end - this.offset));
      await this.digest();
      from = end - this.offset;
    }
    if (from < bytes.length) this.pieces.push(bytes.subarray(from));
    this.offset += bytes.length;
  }

  async finish(): Promise<number> {
    if (this.chunker.finish() !== null) await this.digest();
    return this.count;
  }

  private async digest(): Promise<void> {
    const whole = this.pieces.length === 1 ? this.pieces[0]! : concat(this.pieces);
    await crypto.subtle.digest('SHA-256', whole);
    this.pieces = [];
    this.count += 1;
  }
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export default {
  fetch(request, env, ctx) {
    const { pathname, searchParams } = new URL(request.url);
    const tagRoute = /^\/__bench\/d1\/tag\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(pathname);
    if (tagRoute) return rawTagLookup(env, tagRoute[1]!, tagRoute[2]!, tagRoute[3]!);
    if (pathname === '/__bench/seed-blobs' && request.method === 'POST') {
      return seedBlobs(env, Number(searchParams.get('count') ?? 0), searchParams.get('seed') ?? 'seed');
    }
    if (pathname === '/__bench/d1/version') return rawVersion(env, searchParams.get('digest') ?? '');
    if (pathname === '/__bench/d1/count') return rowCounts(env);
    if (pathname === '/__bench/raw-manifests') {
      return rawManifests(
        env,
        [searchParams.get('a') ?? '', searchParams.get('b') ?? ''],
        (['parse', 'text'] as const).find((m) => searchParams.get(m) === '1') ?? 'bytes',
      );
    }
    if (pathname === '/__bench/seed-graph' && request.method === 'POST') {
      return seedGraph(
        env,
        Number(searchParams.get('edges') ?? 100_000),
        searchParams.get('seed') ?? 'graph',
      );
    }
    if (pathname.startsWith(RAW_PREFIX)) {
      return raw(request, env, pathname.slice(RAW_PREFIX.length), searchParams);
    }
    if (pathname === '/__bench/profile' && request.method === 'POST') return benchProfile(env, searchParams);
    if (pathname === '/__bench/read') {
      return benchRead(env, searchParams.get('digest') ?? '', searchParams.get('chunk') === '1');
    }
    return app.fetch(request, env, ctx);
  },
  // The queue consumers of src/index.ts (OpenLineage pushes to a local sink; table profiles).
  queue: (batch, env, ctx) => worker.queue(batch, env, ctx),
} satisfies ExportedHandler<Bindings>;
