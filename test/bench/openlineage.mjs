#!/usr/bin/env node
/**
 * OpenLineage push bench (part of `npm run bench`): does pushing events cost a publish anything,
 * and does a broken lineage service? Two bench servers run side by side (same snapshot, same
 * machine, same moment): `off` has no OPENLINEAGE_URL (the baseline: events only go to the feed),
 * `on` pushes to a local sink (test/helpers/lineage-sink.mjs) that answers at once (`on-ok`),
 * answers 500 (`on-fail`) or never answers (`on-hang`, 1.5 s delivery timeout), per namespace.
 *
 * Each side: BENCH_PUBLISHES (default 40) publishes, 4 in flight, each a new version (fresh
 * params, no files: the publish path itself, not uploads); publishes/s per round. BENCH_ROUNDS
 * (default 5) rounds after one warm-up, the order rotating; medians; ratios to `off`.
 * BENCH_RETRY_BASE_SECONDS (default 1) is the `on` server's first retry delay.
 * Writes test/bench/.out/openlineage.json. Exit 0 unless something fails.
 */
import { loadavg } from 'node:os';
import { freePort } from '../e2e/harness.mjs';
import { startSink } from '../helpers/lineage-sink.mjs';
import {
  benchClient,
  median,
  rotate,
  runConditions,
  runSuite,
  startSuiteServer,
  writeResult,
} from './bench-server.mjs';

const PUBLISHES = Number(process.env.BENCH_PUBLISHES || 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const IN_FLIGHT = 4;
/** The consumer's first retry delay: 1 s (retries during the run: the worst case), 30 in production. */
const RETRY_BASE = process.env.BENCH_RETRY_BASE_SECONDS || '1';

let off;
let on;
let sink;
const clients = { off: benchClient(() => off), on: benchClient(() => on) };
const SIDES = {
  off: { client: clients.off, ns: 'off' },
  'on-ok': { client: clients.on, ns: 'ok' },
  'on-fail': { client: clients.on, ns: 'fail' },
  'on-hang': { client: clients.on, ns: 'hang' },
};
let seq = 0;

async function round(side, count) {
  const { client, ns } = SIDES[side];
  let left = count;
  const worker = async () => {
    while (left-- > 0) {
      seq += 1;
      await client.publish(`${ns}/model-${seq % 8}`, { kind: 'model', files: [], params: { seq } });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return count / ((performance.now() - t0) / 1000);
}

async function main() {
  const t0 = Date.now();
  const load0 = loadavg();
  const port = await freePort();
  sink = await startSink(port);
  sink.set('fail', 'fail');
  sink.set('hang', 'hang');
  // One after the other, each assigned as soon as it runs, so a failure still stops the first.
  off = await startSuiteServer('cairn-bench-ol-off-');
  on = await startSuiteServer('cairn-bench-ol-on-', {
    OPENLINEAGE_URL: `http://127.0.0.1:${port}/api/v1/lineage`,
    OPENLINEAGE_TIMEOUT_MS: '1500',
    OPENLINEAGE_RETRY_BASE_SECONDS: RETRY_BASE,
  });
  const names = Object.keys(SIDES);
  console.log(
    `cairn OpenLineage bench: ${PUBLISHES} publishes per round, ${IN_FLIGHT} in flight, ${ROUNDS} rounds`,
  );
  for (const side of names) await round(side, 8);
  const samples = await rotate('rounds', names, (side) => round(side, PUBLISHES), { runs: ROUNDS });
  const rates = Object.fromEntries(names.map((side, k) => [side, samples[k]]));
  const rows = names.map((side) => ({
    side,
    publishesPerS: Math.round(median(rates[side]) * 10) / 10,
    roundsPerS: rates[side].map((x) => Math.round(x * 10) / 10),
    ratioToOff: Math.round((median(rates[side]) / median(rates.off)) * 100) / 100,
  }));
  for (const r of rows) {
    console.log(
      `${r.side.padEnd(8)} ${r.publishesPerS.toFixed(1).padStart(7)} publishes/s  ×${r.ratioToOff.toFixed(2)} of off  (rounds ${r.roundsPerS.join(', ')})`,
    );
  }
  const delivered = sink.eventsOf('ok').length;
  console.log(
    `sink: ${delivered} events received from on-ok so far; attempts fail ${sink.attempts.get('fail') ?? 0}, hang ${sink.attempts.get('hang') ?? 0}`,
  );
  writeResult('openlineage', {
    ...runConditions(t0, load0),
    publishes: PUBLISHES,
    inFlight: IN_FLIGHT,
    rounds: ROUNDS,
    retryBaseSeconds: Number(RETRY_BASE),
    rows,
    deliveredOk: delivered,
  });
}

await runSuite('openlineage', main, () => ({
  readLog: () => `${off?.readLog() ?? ''}\n--- on ---\n${on?.readLog() ?? ''}`,
  stop: async () => {
    await Promise.all([off?.stop(), on?.stop()]);
    await sink?.close();
  },
}));
