#!/usr/bin/env node
/**
 * Small-PUT throughput bench (part of `npm run bench`), against the bench server
 * (bench-server.mjs): BENCH_PUTS (default 400) single PUTs of 4 KiB, 8 in flight, fresh random
 * bytes every time (so ours always stores: 201, never the "already stored" 200):
 *
 *   ours   PUT /v1/blobs/{digest}          the whole write path: auth and throttle, GC write
 *                                           intent, R2 put with SHA-256 check, blob row, audit row
 *   raw    PUT /__bench/raw/{key}          a plain BLOBS.put of the same bytes (the baseline)
 *   diag   PUT /__bench/raw/{key}?sha256=  the raw put with R2's SHA-256 check, as ours asks for
 *
 * BENCH_ROUNDS rounds (default 5) after one warm-up round of 40 each, the order rotating from
 * round to round; uploads/s of each round (BENCH_PUTS ÷ wall time), medians; ratio ours / raw.
 *
 * Environment: BENCH_PUTS, BENCH_ROUNDS (above), BENCH_KEEP=1 keeps the temp dir, BENCH_CONFIG
 * another bench wrangler.toml (e.g. a patched copy of the tree, for A/B runs).
 * Prints a table and writes test/bench/.out/put-small.json. Exit 0 unless something fails.
 */
import { createHash, randomBytes } from 'node:crypto';
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

const PUTS = Number(process.env.BENCH_PUTS || 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const IN_FLIGHT = 8;
const SIZE = 4096;
const WARMUP_PUTS = 40;

let server;
const { auth } = benchClient(() => server);
let seq = 0;

/** Each side: where to PUT one fresh 4 KiB body, given its SHA-256 (hex). */
const SIDES = {
  ours: (hex) => ({ path: `/v1/blobs/sha256:${hex}`, headers: auth() }),
  raw: () => ({ path: `/__bench/raw/small-${++seq}`, headers: {} }),
  'raw+sha256': (hex) => ({ path: `/__bench/raw/small-${++seq}?sha256=${hex}`, headers: {} }),
};

/** PUTs `count` fresh bodies through `side`, IN_FLIGHT at a time; uploads/s. */
async function round(side, count) {
  const bodies = Array.from({ length: count }, () => {
    const bytes = randomBytes(SIZE);
    return { bytes, hex: createHash('sha256').update(bytes).digest('hex') };
  });
  let next = 0;
  const client = async () => {
    while (next < bodies.length) {
      const { bytes, hex } = bodies[next++];
      const { path, headers } = SIDES[side](hex);
      const res = await fetch(`${server.base}${path}`, { method: 'PUT', body: bytes, headers });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`${side}: PUT ${path} → ${res.status} ${text.slice(0, 300)}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, client));
  return count / ((performance.now() - t0) / 1000);
}

async function main() {
  const t0 = Date.now();
  const load0 = loadavg();
  server = await startSuiteServer('cairn-bench-put-small-');
  const names = Object.keys(SIDES);
  console.log(
    `cairn small-PUT bench at ${server.base}: ${PUTS} PUTs of ${SIZE / 1024} KiB, ${IN_FLIGHT} in flight, ${ROUNDS} rounds`,
  );
  for (const side of names) await round(side, WARMUP_PUTS);
  const samples = await rotate('rounds', names, (side) => round(side, PUTS), { runs: ROUNDS });
  const rates = Object.fromEntries(names.map((side, k) => [side, samples[k]]));
  process.stdout.write('\n');
  const rounded = (xs) => xs.map((x) => Math.round(x * 10) / 10);
  const rows = names.map((side) => ({
    side,
    uploadsPerS: Math.round(median(rates[side]) * 10) / 10,
    roundsPerS: rounded(rates[side]),
  }));
  for (const r of rows) {
    console.log(
      `${r.side.padEnd(12)} ${r.uploadsPerS.toFixed(1).padStart(7)} uploads/s  (rounds ${r.roundsPerS.join(', ')})`,
    );
  }
  const ratio = Math.round((median(rates.ours) / median(rates.raw)) * 100) / 100;
  console.log(`ratio ours / raw: ${ratio.toFixed(2)}`);
  writeResult('put-small', {
    ...runConditions(t0, load0),
    puts: PUTS,
    sizeBytes: SIZE,
    inFlight: IN_FLIGHT,
    rounds: ROUNDS,
    rows,
    ratio,
  });
}

await runSuite('put-small', main, () => server);
