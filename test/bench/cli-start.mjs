#!/usr/bin/env node
/**
 * How long `cairn` takes to start (part of `npm run bench`): `cairn --version`, a process that
 * starts, loads the CLI and exits, BENCH_STARTS times (default 15) from the cached bundle
 * (bin/cli-bundle.mjs) and as many through tsx's loader (CAIRN_CLI_NO_BUNDLE=1, the baseline:
 * how every `cairn` started before), in turn; plain `node -e 0` as the floor. No server.
 * Medians and the ratio bundle / tsx. Writes test/bench/.out/cli-start.json.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { CLI, median, writeResult } from './bench-server.mjs';

const STARTS = Number(process.env.BENCH_STARTS || 15);

function timed(args, env = {}) {
  const t0 = performance.now();
  execFileSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  return performance.now() - t0;
}

const started = Date.now();
// The first run after a change builds the bundle: not a start we measure.
timed([CLI, '--version']);
const sides = { bundle: [], tsx: [], node: [] };
for (let i = 0; i < STARTS; i++) {
  sides.bundle.push(timed([CLI, '--version']));
  sides.tsx.push(timed([CLI, '--version'], { CAIRN_CLI_NO_BUNDLE: '1' }));
  sides.node.push(timed(['-e', '0']));
}
const ms = Object.fromEntries(Object.entries(sides).map(([side, xs]) => [side, Math.round(median(xs))]));
console.table([
  { start: 'cairn --version, from the bundle', 'median ms': ms.bundle },
  { start: 'cairn --version, through tsx (before)', 'median ms': ms.tsx },
  { start: 'node -e 0 (the floor)', 'median ms': ms.node },
  { start: 'bundle / tsx', 'median ms': (ms.bundle / ms.tsx).toFixed(2) },
]);
writeResult('cli-start', {
  starts: STARTS,
  medianMs: ms,
  bundleOverTsx: Math.round((ms.bundle / ms.tsx) * 100) / 100,
  loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  durationS: Math.round((Date.now() - started) / 1000),
});
