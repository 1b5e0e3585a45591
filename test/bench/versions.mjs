#!/usr/bin/env node
/**
 * Versions bench (part of `npm run bench`), against the bench server (bench-server.mjs):
 *
 *   resolve-by-tag   GET /v1/resolve/{ns}/{name}:{tag}  vs one raw D1 point lookup of the tag
 *                    (GET /__bench/d1/tag/…)             16 concurrent clients, req/s ratio ≥ 0.8
 *   manifest         GET /v1/manifests/{digest}          vs a raw R2 get of an object of the same
 *                    size (GET /__bench/raw/…)           16 concurrent clients, req/s ratio ≥ 0.8
 *   publish          POST …/versions of 1, 1,000 and 100,000 files, median ms (100,000 < 10 s)
 *
 * Throughput: each side runs for BENCH_SECONDS (default 4) with 16 keep-alive clients, ours and raw
 * alternating over BENCH_ROUNDS rounds (default 3); the ratio is of the median req/s. Publish
 * blobs are seeded as D1 rows through a bench-only route (publish reads D1, never the bytes);
 * each run publishes new content, so it never takes the idempotent 200 path.
 *
 * Prints a table and writes test/bench/.out/versions.json. Exit 0 even when a target is missed.
 */
import { cpus, loadavg } from 'node:os';
import { benchClient, median, runSuite, startBenchServer, writeResult } from './bench-server.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS || 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const CONCURRENCY = 16;
const PUBLISH_SIZES = (process.env.BENCH_PUBLISH_FILES || '1,1000,100000').split(',').map(Number);
const PUBLISH_RUNS = Number(process.env.BENCH_PUBLISH_RUNS || 3);
const TARGETS = { resolve: 0.8, manifest: 0.8, publish100k: 10_000 };

let server;
const { auth, request, ok, publish } = benchClient(() => server);

/** req/s of `path` with CONCURRENCY clients for SECONDS; every answer must be `status`. */
async function throughput(path, status = 200) {
  const until = performance.now() + SECONDS * 1000;
  let count = 0;
  const client = async () => {
    while (performance.now() < until) {
      const res = await fetch(`${server.base}${path}`, { headers: auth() });
      await res.arrayBuffer();
      if (res.status !== status) throw new Error(`GET ${path} → ${res.status}`);
      count++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  return count / ((performance.now() - t0) / 1000);
}

async function compare(label, ours, raw, target) {
  const oursRps = [];
  const rawRps = [];
  await throughput(ours); // warm-up
  await throughput(raw);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [raw, ours] : [ours, raw];
    for (const path of order) (path === ours ? oursRps : rawRps).push(await throughput(path));
    process.stdout.write(`\r${label}: round ${round + 1}/${ROUNDS}`);
  }
  process.stdout.write('\n');
  const ratio = median(oursRps) / median(rawRps);
  return {
    operation: label,
    oursReqPerS: Math.round(median(oursRps)),
    rawReqPerS: Math.round(median(rawRps)),
    ratio: Number(ratio.toFixed(3)),
    target: `>= ${target}`,
    pass: ratio >= target,
  };
}

async function publishTimes() {
  const rows = [];
  for (const files of PUBLISH_SIZES) {
    const times = [];
    for (let run = 0; run < PUBLISH_RUNS; run++) {
      const seed = `p${files}-${run}-${Date.now()}`;
      const { digests } = await ok(`/__bench/seed-blobs?count=${files}&seed=${seed}`, { method: 'POST' });
      const body = {
        kind: 'dataset',
        files: digests.map((digest, i) => ({
          path: `part-${String(Math.floor(i / 1000)).padStart(3, '0')}/row-${i}.parquet`,
          digest,
          size: 1,
        })),
        tags: ['latest'],
      };
      const t0 = performance.now();
      const res = await publish(`bench/publish-${files}`, body);
      times.push(performance.now() - t0);
      if (res.version !== run + 1) throw new Error(`expected version ${run + 1}, got ${JSON.stringify(res)}`);
    }
    const ms = median(times);
    rows.push({
      operation: `publish ${files.toLocaleString('en')} files`,
      medianMs: Math.round(ms),
      runsMs: times.map(Math.round),
      ...(files === 100_000 ? { target: '< 10000 ms', pass: ms < TARGETS.publish100k } : {}),
    });
    console.log(`publish ${files} files: median ${Math.round(ms)} ms`);
  }
  return rows;
}

async function main() {
  const t0 = Date.now();
  const load0 = loadavg();
  server = await startBenchServer({ keep: process.env.BENCH_KEEP === '1', prefix: 'cairn-bench-versions-' });
  console.log(
    `cairn versions bench at ${server.base}: ${CONCURRENCY} clients, ${SECONDS} s × ${ROUNDS} rounds`,
  );

  // A realistic model version: 100 files, an input, code, environment, params.
  const blobs = await ok('/__bench/seed-blobs?count=101&seed=model', { method: 'POST' });
  const data = await publish('bench/data', {
    kind: 'dataset',
    files: [{ path: 'train.csv', digest: blobs.digests[100], size: 1 }],
    tags: ['latest'],
  });
  const model = await publish('bench/model', {
    kind: 'model',
    files: blobs.digests
      .slice(0, 100)
      .map((digest, i) => ({ path: `weights/shard-${i}.bin`, digest, size: 1 })),
    inputs: [{ ref: 'bench/data:latest', role: 'training' }],
    code: { repo: 'https://git.example/acme/churn', commit: 'a'.repeat(40), path: 'train.py' },
    environment: {
      lockfiles: [{ path: 'requirements.txt', digest: blobs.digests[100] }],
      runtime: { python: '3.11' },
    },
    params: { lr: 0.1, max_depth: 6 },
    tags: ['latest'],
  });
  const manifest = await request(`/v1/manifests/${model.digest}`);
  await ok('/__bench/raw/manifest-copy', { method: 'PUT', body: Buffer.from(manifest.body) });
  console.log(`manifest: ${manifest.body.byteLength} bytes; data ${data.digest.slice(0, 19)}…`);

  const rows = [
    await compare(
      'resolve by tag vs raw D1 lookup',
      '/v1/resolve/bench/model:latest',
      '/__bench/d1/tag/bench/model/latest',
      TARGETS.resolve,
    ),
    await compare(
      `manifest by digest (${manifest.body.byteLength} B) vs raw R2 get`,
      `/v1/manifests/${model.digest}`,
      '/__bench/raw/manifest-copy',
      TARGETS.manifest,
    ),
  ];
  const publishRows = await publishTimes();

  console.log();
  for (const r of rows) {
    console.log(
      `${r.operation.padEnd(52)} ours ${String(r.oursReqPerS).padStart(6)} req/s  raw ${String(r.rawReqPerS).padStart(6)} req/s  ratio ${r.ratio.toFixed(3)}  ${r.target}  ${r.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  for (const r of publishRows) {
    console.log(
      `${r.operation.padEnd(52)} median ${String(r.medianMs).padStart(6)} ms  runs ${r.runsMs.join(', ')}${r.target ? `  ${r.target}  ${r.pass ? 'PASS' : 'FAIL'}` : ''}`,
    );
  }
  const result = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavgStart: load0,
    loadavgEnd: loadavg(),
    durationS: Math.round((Date.now() - t0) / 1000),
    concurrency: CONCURRENCY,
    seconds: SECONDS,
    rounds: ROUNDS,
    throughput: rows,
    publish: publishRows,
  };
  writeResult('versions', result);
}

await runSuite('versions', main, () => server);
