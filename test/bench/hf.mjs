#!/usr/bin/env node
/**
 * Hub bench (part of `npm run bench`): one 256 MiB file uploaded and downloaded through the real
 * `@huggingface/hub` client against `/hf` (HF_ENDPOINT), vs `cairn push` / `cairn pull` of the
 * same-sized file (fresh random bytes per run and side, so every upload really uploads), against
 * the bench server (bench-server.mjs, 64 MiB parts). Both sides send the file in four parts: the
 * CLI one after the other, `@huggingface/hub` five at a time through the Hub's multipart
 * transfer, where each part waits its turn so all are hashed as they stream (without that wait,
 * parallel parts voided the incremental hash and `complete` read the 256 MiB back: 1.57×).
 *
 *   hub upload    uploadFiles (hashes, preupload, LFS batch, signed part PUTs, completion, NDJSON
 *                 commit), timed
 *   hub download  downloadFile + reading the whole body, timed
 *   cairn push    `cairn push <dir> bench/…` (hashes, checks, uploads, publishes), timed
 *   cairn pull    `cairn pull <ref> -o <dir>` (streams to disk, verifying), timed
 *
 * Sides rotate which goes first. Prints ratios hub/cairn (goal ≤ 1.2) and writes
 * test/bench/.out/hf.json. Exit 0 unless something failed (a measurement, not a test).
 *
 *   BENCH_RUNS     runs per side (default 3)
 *   BENCH_HF_MIB   file size in MiB (default 256)
 */
import { randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createRepo, downloadFile, uploadFiles } from '@huggingface/hub';
import {
  MiB,
  median,
  rotate,
  runCairn,
  runConditions,
  runSuite,
  signingKeyVars,
  startBenchServer,
  writeResult,
} from './bench-server.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 3);
const SIZE = Number(process.env.BENCH_HF_MIB || 256) * MiB;

let server;

function randomBuffer() {
  const buf = Buffer.allocUnsafe(SIZE);
  for (let i = 0; i < SIZE; i += 64 * 1024) randomFillSync(buf, i, Math.min(64 * 1024, SIZE - i));
  return buf;
}

const cli = (args) => runCairn(server, args);

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

let n = 0;
async function measure(side) {
  n += 1;
  const bytes = randomBuffer();
  const hub = { hubUrl: `${server.base}/hf`, accessToken: `hf_${server.token}` };
  if (side === 'hub') {
    const repo = { type: 'model', name: `bench/hf-${n}` };
    await createRepo({ repo, ...hub });
    const up = await timed(() =>
      uploadFiles({ repo, files: [{ path: 'weights.bin', content: new Blob([bytes]) }], ...hub }),
    );
    const down = await timed(async () => {
      const blob = await downloadFile({ repo, path: 'weights.bin', ...hub });
      const got = await blob.arrayBuffer();
      if (got.byteLength !== SIZE) throw new Error(`downloaded ${got.byteLength} bytes`);
    });
    return { up, down };
  }
  const dir = join(server.work, `push-${n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'weights.bin'), bytes);
  const up = await timed(() =>
    cli(['push', dir, `bench/cairn-${n}`, '--tag', 'main', '--code', 'none', '--quiet']),
  );
  const out = join(server.work, `pull-${n}`);
  const down = await timed(() => cli(['pull', `bench/cairn-${n}:main`, '-o', out, '--quiet']));
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  return { up, down };
}

async function main() {
  const started = Date.now();
  const load0 = loadavg();
  server = await startBenchServer({
    keep: process.env.BENCH_KEEP === '1',
    prefix: 'cairn-bench-hf-',
    vars: signingKeyVars(),
  });
  console.log(`Hub bench: ${SIZE / MiB} MiB, ${RUNS} runs per side, @huggingface/hub vs cairn push/pull`);
  const [hub, cairn] = await rotate('hf', ['hub', 'cairn'], measure, { runs: RUNS, warmup: 0 });
  const ms = (xs, k) => Math.round(median(xs.map((x) => x[k])));
  const mibps = (t) => Number((SIZE / MiB / (t / 1000)).toFixed(1));
  const result = {
    suite: 'hf',
    sizeMiB: SIZE / MiB,
    runs: RUNS,
    hubUploadMs: ms(hub, 'up'),
    cairnPushMs: ms(cairn, 'up'),
    hubDownloadMs: ms(hub, 'down'),
    cairnPullMs: ms(cairn, 'down'),
    samples: {
      hub: hub.map((s) => [Math.round(s.up), Math.round(s.down)]),
      cairn: cairn.map((s) => [Math.round(s.up), Math.round(s.down)]),
    },
    ...runConditions(started, load0),
  };
  result.uploadRatio = Number((result.hubUploadMs / result.cairnPushMs).toFixed(2));
  result.downloadRatio = Number((result.hubDownloadMs / result.cairnPullMs).toFixed(2));
  console.table([
    {
      side: '@huggingface/hub',
      'upload ms': result.hubUploadMs,
      'upload MiB/s': mibps(result.hubUploadMs),
      'download ms': result.hubDownloadMs,
      'download MiB/s': mibps(result.hubDownloadMs),
    },
    {
      side: 'cairn push/pull',
      'upload ms': result.cairnPushMs,
      'upload MiB/s': mibps(result.cairnPushMs),
      'download ms': result.cairnPullMs,
      'download MiB/s': mibps(result.cairnPullMs),
    },
  ]);
  console.log(
    `ratios hub/cairn: upload ${result.uploadRatio}×, download ${result.downloadRatio}× (goal ≤ 1.2)`,
  );
  writeResult('hf', result);
}

runSuite('hf', main, () => server);
