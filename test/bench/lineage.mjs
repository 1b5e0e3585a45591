#!/usr/bin/env node
/**
 * Lineage and diff bench (part of `npm run bench`), against the bench server (bench-server.mjs).
 * Latency of one request at a time, ours and the baseline alternating, median of BENCH_RUNS runs
 * each (default 15) after BENCH_WARMUP warm-up requests (default 3):
 *
 *   lineage up   GET /v1/lineage/{ref}?direction=up&depth=20 from the bottom of a 24-version
 *                fine-tuning chain, in a lineage_edges table of ≥ BENCH_EDGES (default 100,000)
 *                edges, vs ONE raw D1 point query (GET /__bench/d1/version?digest=…)   ≤ 5×
 *   impact       GET /v1/impact/{dataset ref}, the dataset feeding 1,000 model versions (40
 *                artifacts × 25 versions, 60% of the artifacts with a `production` version),
 *                vs the same raw D1 point query                                        (reported)
 *   diff         GET /v1/diff?from=…@1&to=…@2 of two 100,000-file versions differing in 10 files
 *                (2 modified, 4 added, 4 removed) vs reading both manifests fully from R2
 *                (GET /__bench/raw-manifests?a=…&b=…)                                  ≤ 2×
 *
 * Setup: the bulk of the graph is seeded straight into D1 (POST /__bench/seed-graph: pipelines of
 * raw → clean → features → models → eval versions plus shared hub datasets; see worker.ts); the
 * chain, the impact dataset and its 1,000 models (4 concurrent publishes) and the two diff
 * versions (blob rows seeded with /__bench/seed-blobs) are published through the API. Every
 * answer is checked (chain nodes and depths, impacted versions, diff counts) before it is timed.
 * Diagnostic rows (not targets) attribute the diff's cost: the same two reads, each also parsed
 * with JSON.parse (as the diff's readManifest does), and each only decoded as UTF-8 text.
 *
 * Environment: BENCH_RUNS, BENCH_WARMUP, BENCH_EDGES (above); BENCH_KEEP=1 keeps the temp dir;
 * BENCH_CONFIG another bench wrangler.toml (e.g. a patched copy of the tree, for A/B runs);
 * BENCH_CASES a comma-separated subset of `lineage,impact,diff` (default all three; impact needs
 * lineage's seeded graph).
 *
 * Prints a table and writes test/bench/.out/lineage.json. Exit 0 even when a target is missed.
 */
import { cpus, loadavg } from 'node:os';
import { benchClient, median, runSuite, startBenchServer, writeResult } from './bench-server.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 15);
const WARMUP = Number(process.env.BENCH_WARMUP || 3);
const EDGES = Number(process.env.BENCH_EDGES || 100_000);
const CHAIN = 24;
const DEPTH = 20;
const MODEL_ARTIFACTS = 40;
const MODEL_VERSIONS = 25;
const PUBLISH_CONCURRENCY = 4;
const DIFF_FILES = 100_000;
const TARGETS = { lineage: 5, diff: 2 };
const CASES = new Set((process.env.BENCH_CASES || 'lineage,impact,diff').split(','));

const round2 = (x) => Math.round(x * 100) / 100;

let server;
const { auth, request, ok, publish } = benchClient(() => server);

const seedBlobs = (count, seed) => ok(`/__bench/seed-blobs?count=${count}&seed=${seed}`, { method: 'POST' });

function check(condition, what) {
  if (!condition) throw new Error(`wrong answer: ${what}`);
}

/** ms of one GET, body read fully; the answer must be 200. */
async function timeGet(path) {
  const t0 = performance.now();
  const res = await fetch(`${server.base}${path}`, { headers: auth() });
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
  return ms;
}

/**
 * Median latency of `ours` and of each baseline/diagnostic path, one request at a time, the
 * order rotating from run to run; `ratio` is ours / the first baseline.
 */
async function compare(label, ours, baselines, target, extra = {}) {
  const paths = [ours, ...baselines.map((b) => b.path)];
  const times = paths.map(() => []);
  for (let w = 0; w < WARMUP; w++) for (const p of paths) await timeGet(p);
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < paths.length; k++) {
      const i = (k + run) % paths.length;
      times[i].push(await timeGet(paths[i]));
    }
    process.stdout.write(`\r${label}: run ${run + 1}/${RUNS}`);
  }
  process.stdout.write('\n');
  const oursMs = median(times[0]);
  const rawMs = median(times[1]);
  const ratio = oursMs / rawMs;
  return {
    operation: label,
    baseline: baselines[0].label,
    oursMedianMs: round2(oursMs),
    rawMedianMs: round2(rawMs),
    ratio: round2(ratio),
    ...(target ? { target: `<= ${target}x`, pass: ratio <= target } : { target: 'reported' }),
    diagnostics: baselines
      .slice(1)
      .map((b, k) => ({ what: b.label, medianMs: round2(median(times[k + 2])) })),
    oursRunsMs: times[0].map(round2),
    rawRunsMs: times[1].map(round2),
    ...extra,
  };
}

async function pool(jobs, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** 1. The seeded graph, a published 24-version chain at its bottom, and the upstream walk. */
async function lineageCase() {
  let t0 = performance.now();
  const graph = await ok(`/__bench/seed-graph?edges=${EDGES}&seed=lineage`, { method: 'POST' });
  const seedS = (performance.now() - t0) / 1000;
  console.log(
    `seeded ${graph.edges} edges, ${graph.versions} versions, ${graph.artifacts} artifacts ` +
      `(${graph.pipelines} pipelines) in ${seedS.toFixed(1)} s`,
  );

  // A fine-tuning chain: each version is trained from the previous one plus a seeded features
  // version, so the walk goes 20 edges deep along the chain and fans out into the graph.
  const { digests } = await seedBlobs(CHAIN, 'chain');
  t0 = performance.now();
  const chain = [];
  for (let n = 1; n <= CHAIN; n++) {
    const inputs = [{ ref: graph.features[(n * 7) % graph.features.length], role: 'training' }];
    inputs.push(
      n === 1
        ? { ref: graph.hubRefs[0], role: 'pretrained' }
        : { ref: `bench/finetune@${n - 1}`, role: 'base' },
    );
    const res = await publish('bench/finetune', {
      kind: 'model',
      files: [{ path: 'model.safetensors', digest: digests[n - 1], size: 1 }],
      inputs,
      params: { step: n, lr: 1e-5 },
      tags: ['latest'],
    });
    check(res.version === n, `chain version ${n}: ${JSON.stringify(res)}`);
    chain.push(res.digest);
  }
  console.log(`published the ${CHAIN}-version chain in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const counts = await ok('/__bench/d1/count');
  check(counts.edges >= EDGES, `lineage_edges holds ${counts.edges} < ${EDGES}`);

  const bottom = chain[CHAIN - 1];
  const path = `/v1/lineage/bench/finetune@${CHAIN}?direction=up&depth=${DEPTH}`;
  const answer = await ok(path);
  const depthOf = new Map(answer.nodes.map((n) => [n.digest, n.depth]));
  check(answer.root === bottom && !answer.truncated, 'lineage root / truncated');
  for (let k = 0; k <= DEPTH; k++) {
    check(depthOf.get(chain[CHAIN - 1 - k]) === k, `chain version ${CHAIN - k} at depth ${k}`);
  }
  check(!depthOf.has(chain[CHAIN - 2 - DEPTH]), 'the walk stops at depth 20');
  check(
    answer.nodes.every((n) => n.depth <= DEPTH),
    'every node within depth 20',
  );
  const answerBytes = (await request(path)).body.byteLength;
  console.log(
    `upstream walk: ${answer.nodes.length} nodes, ${answer.edges.length} edges, ${answerBytes} B answer`,
  );
  const row = await compare(
    `lineage up depth ${DEPTH} (${counts.edges} edges in table)`,
    path,
    [{ label: 'one D1 point query', path: `/__bench/d1/version?digest=${bottom}` }],
    TARGETS.lineage,
    { nodes: answer.nodes.length, edges: answer.edges.length, answerBytes },
  );
  return { row, graph: { ...graph, features: undefined, hubRefs: undefined, seedS: round2(seedS), counts } };
}

/** 2. One dataset feeding 1,000 model versions, published through the API. */
async function impactCase() {
  const { digests } = await seedBlobs(2, 'impact');
  const data = await publish('bench/impact-data', {
    kind: 'dataset',
    files: [{ path: 'train.parquet', digest: digests[0], size: 1 }],
    tags: ['latest'],
  });
  const jobs = [];
  const production = new Set();
  for (let a = 0; a < MODEL_ARTIFACTS; a++) {
    const name = `bench/impact-model-${String(a).padStart(2, '0')}`;
    // 60% of the artifacts promote one of their versions; later versions only move `latest`.
    const promoted = a % 5 < 3 ? 1 + ((a * 7) % MODEL_VERSIONS) : 0;
    if (promoted) production.add(name);
    for (let v = 1; v <= MODEL_VERSIONS; v++) {
      jobs.push(() =>
        publish(name, {
          kind: 'model',
          files: [{ path: 'model.bin', digest: digests[1], size: 1 }],
          inputs: [
            { ref: 'bench/impact-data@1', role: 'training' },
            ...(a % 2 ? [{ ref: 'synth/base-00@1', role: 'pretrained' }] : []),
          ],
          params: { run: v, lr: 0.001 * (1 + (v % 5)) },
          tags: v === promoted ? ['latest', 'production'] : ['latest'],
        }),
      );
    }
  }
  const t0 = performance.now();
  await pool(jobs, PUBLISH_CONCURRENCY);
  const publishS = (performance.now() - t0) / 1000;
  console.log(
    `published ${jobs.length} model versions (${PUBLISH_CONCURRENCY} at a time) in ${publishS.toFixed(1)} s`,
  );

  const path = '/v1/impact/bench/impact-data@1';
  const answer = await ok(path);
  check(answer.root === data.digest, 'impact root');
  check(answer.versions.length === production.size, `impact: ${answer.versions.length} ≠ ${production.size}`);
  check(
    answer.versions.every(
      (v) => production.has(v.artifact) && v.tags.includes('production') && v.path.length === 2,
    ),
    'impacted versions are the promoted ones, one edge away',
  );
  const answerBytes = (await request(path)).body.byteLength;
  const row = await compare(
    `impact of a dataset feeding ${jobs.length} model versions`,
    path,
    [{ label: 'one D1 point query', path: `/__bench/d1/version?digest=${data.digest}` }],
    null,
    { impacted: answer.versions.length, answerBytes, publishS: round2(publishS) },
  );
  return row;
}

/** 3. Two 100,000-file versions differing in 10 files. */
async function diffCase() {
  let t0 = performance.now();
  const { digests } = await seedBlobs(DIFF_FILES + 6, 'diff');
  const pathOf = (i) =>
    `shard-${String(Math.floor(i / 1000)).padStart(3, '0')}/part-${String(i).padStart(6, '0')}.parquet`;
  const v1 = Array.from({ length: DIFF_FILES }, (_, i) => ({ path: pathOf(i), digest: digests[i], size: 1 }));
  const modified = [10, 50_000];
  const removed = new Set([20, 30_000, 60_000, 99_990]);
  const v2 = [];
  v1.forEach((f, i) => {
    const k = modified.indexOf(i);
    if (!removed.has(i)) v2.push(k < 0 ? f : { ...f, digest: digests[DIFF_FILES + k] });
  });
  for (let k = 0; k < 4; k++) {
    v2.push({ path: `extra/new-${k}.parquet`, digest: digests[DIFF_FILES + 2 + k], size: 1 });
  }
  const common = {
    kind: 'dataset',
    code: { repo: 'https://git.example/acme/etl', commit: 'c'.repeat(40), path: 'export.py' },
  };
  const a = await publish('bench/diff-big', { ...common, files: v1 });
  const b = await publish('bench/diff-big', { ...common, files: v2 });
  check(a.version === 1 && b.version === 2, 'diff versions 1 and 2');
  console.log(
    `published two ${DIFF_FILES}-file versions in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const path = '/v1/diff?from=bench/diff-big@1&to=bench/diff-big@2';
  t0 = performance.now();
  const answer = await ok(path);
  console.log(`first diff: ${Math.round(performance.now() - t0)} ms`);
  const counts = answer.files.counts;
  check(
    counts.added === 4 &&
      counts.removed === 4 &&
      counts.modified === 2 &&
      counts.unchanged === DIFF_FILES - 6,
    `diff counts ${JSON.stringify(counts)}`,
  );
  check(
    answer.files.modified.map((m) => m.path).join() === modified.map(pathOf).join() &&
      answer.files.removed.map((f) => f.path).join() === [...removed].map(pathOf).join() &&
      answer.files.added.every((f) => f.path.startsWith('extra/new-')) &&
      answer.changed.length === 0 &&
      !answer.files.truncated,
    'diff lists',
  );
  const raw = await ok(`/__bench/raw-manifests?a=${a.digest}&b=${b.digest}`);
  const answerBytes = (await request(path)).body.byteLength;
  const row = await compare(
    `diff of two ${DIFF_FILES}-file versions (10 files differ)`,
    path,
    [
      { label: 'read both manifests from R2', path: `/__bench/raw-manifests?a=${a.digest}&b=${b.digest}` },
      {
        label: 'read + JSON.parse both manifests',
        path: `/__bench/raw-manifests?a=${a.digest}&b=${b.digest}&parse=1`,
      },
      {
        label: 'read both as text (UTF-8 decode)',
        path: `/__bench/raw-manifests?a=${a.digest}&b=${b.digest}&text=1`,
      },
    ],
    TARGETS.diff,
    { manifestBytes: raw.sizes, counts, answerBytes },
  );
  return row;
}

async function main() {
  const t0 = Date.now();
  const load0 = loadavg();
  server = await startBenchServer({
    ...(process.env.BENCH_CONFIG ? { config: process.env.BENCH_CONFIG } : {}),
    keep: process.env.BENCH_KEEP === '1',
    prefix: 'cairn-bench-lineage-',
  });
  console.log(`cairn lineage bench at ${server.base}: ${RUNS} runs after ${WARMUP} warm-up, medians`);

  const lineage = CASES.has('lineage') ? await lineageCase() : null;
  const rows = lineage ? [lineage.row] : [];
  if (CASES.has('impact')) rows.push(await impactCase());
  if (CASES.has('diff')) rows.push(await diffCase());

  console.log();
  for (const r of rows) {
    console.log(
      `${r.operation.padEnd(58)} ours ${r.oursMedianMs.toFixed(2).padStart(8)} ms  ${r.baseline} ${r.rawMedianMs.toFixed(2).padStart(7)} ms  ratio ${r.ratio.toFixed(2).padStart(6)}  ${r.target}${'pass' in r ? `  ${r.pass ? 'PASS' : 'FAIL'}` : ''}`,
    );
    for (const d of r.diagnostics)
      console.log(`${''.padEnd(60)}(diagnostic) ${d.what}: ${d.medianMs.toFixed(2)} ms`);
  }
  const result = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavgStart: load0,
    loadavgEnd: loadavg(),
    durationS: Math.round((Date.now() - t0) / 1000),
    runs: RUNS,
    warmup: WARMUP,
    cases: [...CASES],
    graph: lineage?.graph,
    rows,
  };
  writeResult('lineage', result);
}

await runSuite('lineage', main, () => server);
