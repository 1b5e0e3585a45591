#!/usr/bin/env node
/**
 * Web UI bench (part of `npm run bench`), against the bench server (bench-server.mjs): the
 * server-rendered pages of a 1,000-version artifact vs the JSON API calls that carry the same
 * data, sent together as a page script would send them (the baseline's time is until both
 * answers are read). One page or call set at a time, ours and the baseline alternating which
 * goes first, medians of BENCH_RUNS (default 15) after BENCH_WARMUP (default 3) of each:
 *
 *   artifact page     GET /ui/artifacts/bench/ui-model             vs GET /v1/artifacts/bench/ui-model
 *                                                                   + GET …/versions?limit=50
 *   later page        GET /ui/artifacts/bench/ui-model?cursor=…    vs the same two, the list's next page
 *   version + graph   GET /ui/artifacts/bench/ui-model/versions/500 vs GET …/versions/500
 *                                                                   + GET /v1/lineage/…@500?direction=both&depth=6
 *
 * Setup, through the API: bench/ui-raw@1 → bench/ui-data@1..10 → bench/ui-model@1..1000 (each
 * model version trained on a data version and fine-tuned from the previous model version, with
 * metrics), `production` moved 30 times (the tag history pages), `latest` on the newest. Blob
 * rows are seeded with /__bench/seed-blobs (publish reads D1, never the bytes). Every answer is
 * checked before it is timed. Targets: none (reported); the ratio is ours / the JSON calls.
 *
 * Environment: BENCH_RUNS, BENCH_WARMUP (above), BENCH_UI_VERSIONS (default 1000), BENCH_KEEP=1
 * keeps the temp dir, BENCH_CONFIG another bench wrangler.toml (for A/B runs).
 * Prints a table and writes test/bench/.out/ui.json. Exit 0 unless something fails.
 */
import { loadavg } from 'node:os';
import {
  benchClient,
  median,
  rotate,
  runConditions,
  runSuite,
  startSuiteServer,
  writeResult,
} from './bench-server.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 15);
const WARMUP = Number(process.env.BENCH_WARMUP || 3);
const VERSIONS = Number(process.env.BENCH_UI_VERSIONS || 1000);
if (!(VERSIONS > 60))
  throw new Error('BENCH_UI_VERSIONS must be above 60 (two pages, and room for the production moves)');
const DATA_VERSIONS = 10;
const PRODUCTION_MOVES = 30;
const MODEL = 'bench/ui-model';
/** The version page's graph depth (src/ui/version-page.tsx GRAPH_DEPTH). */
const GRAPH_DEPTH = 6;

const round2 = (x) => Math.round(x * 100) / 100;

let server;
const { auth, ok, publish } = benchClient(() => server);

function check(condition, what) {
  if (!condition) throw new Error(`wrong answer: ${what}`);
}

/** GETs `paths` at once; ms until every body is read. Each answer must be 200. */
async function timeGets(paths) {
  const t0 = performance.now();
  await Promise.all(
    paths.map(async (path) => {
      const res = await fetch(`${server.base}${path}`, { headers: auth() });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
    }),
  );
  return performance.now() - t0;
}

async function text(path) {
  const res = await fetch(`${server.base}${path}`, { headers: auth() });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${body.slice(0, 300)}`);
  return body;
}

/**
 * Median ms of the page and of its JSON calls, the order rotating from run to run; each JSON call
 * alone is timed too (diagnostics: which one the baseline waits for).
 */
async function compare(label, page, json) {
  const sides = [[page], json, ...json.map((path) => [path])];
  const times = await rotate(label, sides, timeGets, { runs: RUNS, warmup: WARMUP });
  const [pageMs, jsonMs, ...aloneMs] = times.map(median);
  return {
    operation: label,
    page,
    pageMedianMs: round2(pageMs),
    jsonMedianMs: round2(jsonMs),
    ratio: round2(pageMs / jsonMs),
    diagnostics: json.map((path, k) => ({ what: `${path} alone`, medianMs: round2(aloneMs[k]) })),
    pageRunsMs: times[0].map(round2),
    jsonRunsMs: times[1].map(round2),
  };
}

async function seed() {
  const { digests } = await ok(`/__bench/seed-blobs?count=${DATA_VERSIONS + 2}&seed=ui`, { method: 'POST' });
  const file = (path, k) => [{ path, digest: digests[k], size: 1 }];
  await publish('bench/ui-raw', { kind: 'dataset', files: file('dump.csv', 0) });
  for (let d = 1; d <= DATA_VERSIONS; d++) {
    await publish('bench/ui-data', {
      kind: 'dataset',
      files: file('train.parquet', d),
      inputs: [{ ref: 'bench/ui-raw@1', role: 'source' }],
      params: { split: d },
    });
  }
  const t0 = performance.now();
  for (let n = 1; n <= VERSIONS; n++) {
    const inputs = [{ ref: `bench/ui-data@${1 + (n % DATA_VERSIONS)}`, role: 'training' }];
    if (n > 1) inputs.push({ ref: `${MODEL}@${n - 1}`, role: 'base' });
    const res = await publish(MODEL, {
      kind: 'model',
      files: file('model.safetensors', DATA_VERSIONS + 1),
      inputs,
      code: { repo: 'https://git.example/acme/churn', commit: 'b'.repeat(40), path: 'train.py' },
      params: { step: n, lr: 0.001 },
      metrics: { auc: 0.8 + (n % 100) / 1000, loss: 1 / n },
      tags: ['latest'],
    });
    check(res.version === n, `model version ${n}: ${JSON.stringify(res)}`);
    if (n % 50 === 0) process.stdout.write(`\rpublished ${n}/${VERSIONS} model versions`);
  }
  process.stdout.write('\n');
  const publishS = (performance.now() - t0) / 1000;
  for (let m = 0; m < PRODUCTION_MOVES; m++) {
    const n = Math.round(VERSIONS / 2) - PRODUCTION_MOVES + 1 + m;
    await ok(`/v1/artifacts/${MODEL}/tags/production`, {
      method: 'PUT',
      body: JSON.stringify({
        digest: (await ok(`/v1/artifacts/${MODEL}/versions/${n}`)).digest,
        reason: `move ${m}`,
      }),
      headers: { 'content-type': 'application/json' },
    });
  }
  console.log(
    `published ${VERSIONS} model versions in ${publishS.toFixed(1)} s; production moved ${PRODUCTION_MOVES}×`,
  );
  return publishS;
}

/** The version numbers in a page's version table, in order. */
const rowsOf = (html) =>
  [...html.matchAll(/<td class="num"><a href="[^"]*\/versions\/(\d+)">v\d+<\/a><\/td>/g)].map((m) =>
    Number(m[1]),
  );
const range = (from, count) => Array.from({ length: count }, (_, k) => from - k);

/** The UI's next-page link from a page's version pager. */
const nextLink = (html) =>
  /<nav class="pager" aria-label="version pages">.*?<a href="([^"]+)" rel="next">/s
    .exec(html)?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/#.*$/, '');

async function main() {
  const t0 = Date.now();
  const load0 = loadavg();
  server = await startSuiteServer('cairn-bench-ui-');
  console.log(`cairn web UI bench at ${server.base}: ${RUNS} runs after ${WARMUP} warm-up, medians`);
  const publishS = await seed();

  const artifactPage = `/ui/artifacts/${MODEL}`;
  const artifactJson = `/v1/artifacts/${MODEL}`;
  const listJson = `/v1/artifacts/${MODEL}/versions?limit=50`;
  const first = await text(artifactPage);
  check(`${rowsOf(first)}` === `${range(VERSIONS, 50)}`, 'page 1 lists the newest 50');
  const laterPage = nextLink(first);
  check(laterPage !== undefined, 'the artifact page links to its next page');
  const later = await text(laterPage);
  check(
    `${rowsOf(later)}` === `${range(VERSIONS - 50, Math.min(50, VERSIONS - 50))}`,
    'page 2 lists the next 50',
  );
  const list = await ok(listJson);
  check(list.items.length === 50 && list.nextCursor, 'the API lists 50 versions and a cursor');
  const laterJson = `${listJson}&cursor=${encodeURIComponent(list.nextCursor)}`;
  check((await ok(laterJson)).items[0].version === VERSIONS - 50, 'the API page 2 starts 50 down');

  const mid = Math.round(VERSIONS / 2);
  const versionPage = `/ui/artifacts/${MODEL}/versions/${mid}`;
  const lineageJson = `/v1/lineage/${MODEL}@${mid}?direction=both&depth=${GRAPH_DEPTH}`;
  const graph = await ok(lineageJson);
  const html = await text(versionPage);
  check(html.includes('<svg') && html.includes('production'), 'the version page draws its graph and tags');
  check(graph.nodes.length > 2 * GRAPH_DEPTH, `lineage of @${mid}: ${graph.nodes.length} nodes`);
  console.log(
    `version page: ${html.length} B of HTML, graph of ${graph.nodes.length} nodes, ${graph.edges.length} edges`,
  );

  const rows = [
    await compare(`artifact page (${VERSIONS} versions, first 50)`, artifactPage, [artifactJson, listJson]),
    await compare('artifact page, next 50', laterPage, [artifactJson, laterJson]),
    await compare(`version page with its graph (${graph.nodes.length} nodes)`, versionPage, [
      `/v1/artifacts/${MODEL}/versions/${mid}`,
      lineageJson,
    ]),
  ];

  console.log();
  for (const r of rows) {
    console.log(
      `${r.operation.padEnd(46)} page ${r.pageMedianMs.toFixed(2).padStart(7)} ms  JSON calls ${r.jsonMedianMs.toFixed(2).padStart(7)} ms  ratio ${r.ratio.toFixed(2)}`,
    );
    for (const d of r.diagnostics)
      console.log(`${''.padEnd(48)}(diagnostic) ${d.what}: ${d.medianMs.toFixed(2)} ms`);
  }
  writeResult('ui', {
    ...runConditions(t0, load0),
    runs: RUNS,
    warmup: WARMUP,
    versions: VERSIONS,
    publishS: round2(publishS),
    rows,
  });
}

await runSuite('ui', main, () => server);
