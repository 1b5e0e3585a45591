/**
 * OpenLineage push delivery end to end: a real `npm start` (wrangler dev, its local queue) with
 * OPENLINEAGE_URL pointing at a local sink HTTP server, driven with curl.
 *   - a healthy sink receives every event (publishes and tag moves), exactly as the pull feed
 *     serves them, each valid against the vendored official schema, with the Bearer key;
 *   - a sink that answers 500, or hangs, delays no publish (they all complete while it is broken)
 *     and loses no event: once it recovers every event arrives;
 *   - a sink that never recovers: every event becomes a dead letter the admin can list, and
 *     stays in the feed.
 * The sink decides per namespace (each test uses its own), so the tests do not disturb each other.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { namespaceOf, startSink } from '../helpers/lineage-sink.mjs';
import { graphFromEvents, openlineageValidator } from '../helpers/openlineage-schema.mjs';
import { freePort, ROOT, startServer } from './harness.mjs';

const T = 120_000;
const API_KEY = 'sink-key-123';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;
let sink;
let validate;

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const json = (value) => ['-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(value)];
const it = (name, fn, timeout = T) => test(name, { timeout }, (t) => server.withLog(fn)(t));
let nsCounter = 0;
const freshNs = (stem) => `${stem}-${process.pid}-${++nsCounter}`;

async function putBlob(text) {
  const digest = sha256(text);
  const res = await server.curl(['-X', 'PUT', '--data-binary', text, `${server.url}/v1/blobs/${digest}`]);
  assert.ok([200, 201].includes(res.status), res.body);
  return { digest, size: Buffer.byteLength(text) };
}

/** Publishes `ns/name` over one small file; resolves to the API's answer and how long it took. */
async function publish(ns, name, extra = {}) {
  const file = await putBlob(`${ns}/${name} ${Math.random()}`);
  const started = performance.now();
  const res = await server.curl([
    '-X',
    'POST',
    ...json({ files: [{ path: 'f.bin', ...file }], ...extra }),
    `${server.url}/v1/artifacts/${ns}/${name}/versions`,
  ]);
  const ms = performance.now() - started;
  assert.equal(res.status, 201, res.body);
  return { ...res.json, ms };
}

/** Every event of namespace `ns` in the pull feed. */
async function feedOf(ns) {
  const events = [];
  let after = '';
  for (;;) {
    const res = await server.curl([
      `${server.url}/v1/openlineage/events?limit=500${after ? `&after=${after}` : ''}`,
    ]);
    assert.equal(res.status, 200, res.body);
    events.push(...res.json.items.filter((e) => namespaceOf(e) === ns));
    if (!res.json.nextCursor) return events;
    after = res.json.nextCursor;
  }
}

async function until(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const byRunId = (events) => [...events].sort((a, b) => (a.run.runId < b.run.runId ? -1 : 1));

describe('OpenLineage push to OPENLINEAGE_URL', () => {
  before(async () => {
    const port = await freePort();
    sink = await startSink(port);
    server = await startServer({
      env: {
        OPENLINEAGE_URL: `http://127.0.0.1:${port}/api/v1/lineage`,
        OPENLINEAGE_API_KEY: API_KEY,
        OPENLINEAGE_RETRY_BASE_SECONDS: '1',
        OPENLINEAGE_MAX_ATTEMPTS: '4',
        OPENLINEAGE_TIMEOUT_MS: '1500',
      },
    });
    const dir = join(ROOT, 'test', 'fixtures', 'openlineage');
    const schemas = readdirSync(dir)
      .filter((f) => f.endsWith('.json') && f !== 'biome.json')
      .map((f) => readFileSync(join(dir, f), 'utf8'));
    const facets = await server.curl([`${server.url}/v1/openlineage/facets.json`], { token: null });
    validate = openlineageValidator(schemas, facets.json);
  });
  after(async () => {
    await server?.stop();
    await sink?.close();
  });

  it('a healthy sink receives every event, as the feed serves it, valid against the official schema', async () => {
    const ns = freshNs('ok');
    const data = await publish(ns, 'data', { kind: 'dataset', tags: ['latest'] });
    const model = await publish(ns, 'model', {
      kind: 'model',
      inputs: [{ ref: `${ns}/data:latest`, role: 'training' }],
      params: { lr: 0.01 },
      code: { repo: 'https://github.com/acme/churn.git', commit: 'c'.repeat(40), path: 'train.py' },
    });
    const move = await server.curl([
      '-X',
      'PUT',
      ...json({ digest: model.digest, reason: 'good' }),
      `${server.url}/v1/artifacts/${ns}/model/tags/production`,
    ]);
    assert.equal(move.status, 200, move.body);

    const feed = await feedOf(ns);
    assert.equal(feed.length, 4); // data, data:latest, model, model:production
    const pushed = await until(
      '4 events at the sink',
      () => sink.eventsOf(ns).length >= 4 && sink.eventsOf(ns),
    );
    assert.deepEqual(byRunId(pushed), byRunId(feed));
    for (const event of pushed) assert.deepEqual(validate(event), [], JSON.stringify(event));
    const mine = sink.received.filter((r) => namespaceOf(r.event) === ns);
    assert.ok(mine.every((r) => r.authorization === `Bearer ${API_KEY}` && r.path === '/api/v1/lineage'));

    const graph = graphFromEvents(pushed);
    assert.deepEqual([...graph.edges], [`${data.digest} -> ${model.digest} (training)`]);
    const deliveries = await server.curl([
      `${server.url}/v1/openlineage/deliveries?status=delivered&limit=500`,
    ]);
    const ids = new Set(deliveries.json.items.filter((d) => namespaceOf(d.event) === ns).map((d) => d.id));
    assert.equal(ids.size, 4);
  });

  it('a failing sink delays no publish and loses no event: all arrive once it recovers', async () => {
    const ns = freshNs('fail');
    sink.set(ns, 'fail');
    const publishes = [];
    for (let i = 0; i < 5; i++) publishes.push(await publish(ns, `m${i}`));
    await until('a failed attempt at the sink', () => (sink.attempts.get(ns) ?? 0) >= 1);
    assert.equal(sink.eventsOf(ns).length, 0);
    sink.set(ns, 'ok');
    const pushed = await until(
      '5 events after recovery',
      () => sink.eventsOf(ns).length >= 5 && sink.eventsOf(ns),
    );
    assert.deepEqual(
      new Set(pushed.map((e) => e.outputs[0].facets.version.datasetVersion)),
      new Set(publishes.map((p) => p.digest)),
    );
    assert.deepEqual(byRunId(pushed), byRunId(await feedOf(ns)));
  });

  it('a hanging sink delays no publish: they all complete while it hangs, and every event arrives after', async () => {
    const ns = freshNs('hang');
    const baseNs = freshNs('base');
    sink.set(ns, 'hang');
    const first = await publish(ns, 'm0');
    await until('the sink to hold a request', () => (sink.attempts.get(ns) ?? 0) >= 1);
    // The sink is hanging on deliveries now; these publishes must still complete. Interleaved with
    // publishes whose events the sink accepts at once, for a like-for-like latency comparison.
    const during = [];
    const baseline = [];
    for (let i = 1; i < 7; i++) {
      during.push(await publish(ns, `m${i}`));
      baseline.push((await publish(baseNs, `b${i}`)).ms);
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `publish while the sink hangs: median ${median(during.map((p) => p.ms)).toFixed(0)} ms ` +
        `(interleaved, sink healthy: ${median(baseline).toFixed(0)} ms)`,
    );
    // Sanity bound only, far above any queue timeout: a publish that waited on the sink would
    // take the 1.5 s delivery timeout at least once per attempt.
    assert.ok(
      during.every((p) => p.ms < 10_000),
      'a publish waited for the hanging sink',
    );
    sink.set(ns, 'ok');
    const pushed = await until(
      '7 events after the hang',
      () => sink.eventsOf(ns).length >= 7 && sink.eventsOf(ns),
    );
    assert.deepEqual(
      new Set(pushed.map((e) => e.outputs[0].facets.version.datasetVersion)),
      new Set([first, ...during].map((p) => p.digest)),
    );
  });

  it('a sink that never recovers: each event becomes a dead letter, listed for admins and kept in the feed', async () => {
    const ns = freshNs('dead');
    sink.set(ns, 'fail');
    const published = [await publish(ns, 'a'), await publish(ns, 'b')];
    const dead = await until('2 dead letters', async () => {
      const res = await server.curl([`${server.url}/v1/openlineage/deliveries?status=dead&limit=500`]);
      const mine = res.json.items.filter((d) => namespaceOf(d.event) === ns);
      return mine.length === 2 && mine;
    });
    for (const d of dead) assert.equal(d.attempts, 4);
    for (const d of dead) assert.equal(d.lastError, 'HTTP 500');
    assert.equal(sink.attempts.get(ns), 8);
    const feed = await feedOf(ns);
    assert.deepEqual(
      feed.map((e) => e.outputs[0].facets.version.datasetVersion),
      published.map((p) => p.digest),
    );
  });
});
