#!/usr/bin/env node
/**
 * LFS bench (part of `npm run bench`): `git lfs push` of 200 MiB in 20 objects to Cairn's LFS
 * endpoint vs pushing as many bytes (20 other random files of the same sizes: the same bytes
 * would be deduplicated) natively, against the bench server (bench-server.mjs).
 *
 *   lfs     `git lfs push --all origin` of a committed repository, lfs.url = …/lfs/bench/models,
 *           lfs.concurrenttransfers = 8. Objects were hashed and copied by `git add` (untimed).
 *   native  `cairn push <dir> bench/native-<n> --parallel 8` (bin/cairn.mjs): it also hashes the
 *           files, asks /v1/blobs/check and publishes a version, all timed. When the CLI cannot
 *           run (`cairn --help` fails), plain fetch PUTs to /v1/blobs with 8 in flight instead
 *           (digests computed untimed, like git's); the output says which.
 *
 * Sides alternate which goes first; fresh random files every run, so each side really uploads.
 * Prints a table and writes test/bench/.out/lfs.json. Exit 0 (a measurement, not a test).
 *
 *   BENCH_RUNS   runs per side (default 3)
 *   BENCH_LFS_NATIVE  cli | fetch to force the native side (default: cli when it runs)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gitHome, gitOk, lfsRepo, randomFile } from '../e2e/git-lfs.mjs';
import { CLI, MiB, median, runCairn, startBenchServer, writeResult } from './bench-server.mjs';

const OBJECTS = 20;
const OBJECT_MIB = 10;
const PARALLEL = 8;
const RUNS = Number(process.env.BENCH_RUNS || 3);

const cliRuns = () => spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).status === 0;
const NATIVE = process.env.BENCH_LFS_NATIVE || (cliRuns() ? 'cli' : 'fetch');
const files = Array.from({ length: OBJECTS }, (_, i) => [`models/shard-${i}.pkl`, OBJECT_MIB * MiB]);

let server;
let home;

function timed(fn) {
  const t0 = performance.now();
  return fn().then(() => performance.now() - t0);
}

async function lfsRun(run) {
  const repo = await lfsRepo(join(server.work, `lfs-${run}`), `${server.base}/lfs/bench/models`, files, home);
  await gitOk(['config', 'lfs.concurrenttransfers', String(PARALLEL)], { cwd: repo.dir, homeDir: home });
  const ms = await timed(() => gitOk(['lfs', 'push', '--all', 'origin'], { cwd: repo.dir, homeDir: home }));
  rmSync(repo.dir, { recursive: true, force: true });
  rmSync(repo.remote, { recursive: true, force: true });
  return ms;
}

function runCli(dir, name) {
  return runCairn(server, ['push', dir, name, '--parallel', String(PARALLEL), '--code', 'none', '--quiet']);
}

/** PUT every file to /v1/blobs with PARALLEL requests in flight. */
async function putAll(dir, oids) {
  const queue = Object.entries(oids);
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [path, oid] = next;
      const file = join(dir, path);
      const res = await fetch(`${server.base}/v1/blobs/sha256:${oid}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${server.token}`,
          'content-length': String(statSync(file).size),
          'content-type': 'application/octet-stream',
        },
        body: await openAsBlob(file),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`PUT ${path} → ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

async function nativeRun(run) {
  const dir = join(server.work, `native-${run}`);
  const oids = {};
  for (const [path, size] of files) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    oids[path] = await randomFile(join(dir, path), size);
  }
  const ms = await timed(() => (NATIVE === 'cli' ? runCli(dir, `bench/native-${run}`) : putAll(dir, oids)));
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

async function main() {
  server = await startBenchServer({ prefix: 'cairn-bench-lfs-' });
  try {
    home = await gitHome(join(server.work, 'home'), server.base, server.token);
    console.log(
      `LFS bench: ${OBJECTS} × ${OBJECT_MIB} MiB, ${RUNS} runs per side, native side: ${NATIVE === 'cli' ? 'cairn push (CLI)' : 'fetch PUTs'}`,
    );
    await lfsRun('warmup');
    await nativeRun('warmup');
    const lfs = [];
    const native = [];
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 ? ['native', 'lfs'] : ['lfs', 'native'];
      for (const side of order) {
        if (side === 'lfs') lfs.push(await lfsRun(run));
        else native.push(await nativeRun(run));
      }
      console.log(
        `run ${run + 1}/${RUNS}: lfs ${lfs.at(-1).toFixed(0)} ms, native ${native.at(-1).toFixed(0)} ms`,
      );
    }
    const totalMiB = OBJECTS * OBJECT_MIB;
    const result = {
      suite: 'lfs',
      objects: OBJECTS,
      totalMiB,
      parallel: PARALLEL,
      native:
        NATIVE === 'cli'
          ? 'cairn push (bin/cairn.mjs): hash + check + upload + publish'
          : 'fetch PUT /v1/blobs',
      lfsMs: Math.round(median(lfs)),
      nativeMs: Math.round(median(native)),
      lfsMiBPerS: Number((totalMiB / (median(lfs) / 1000)).toFixed(1)),
      nativeMiBPerS: Number((totalMiB / (median(native) / 1000)).toFixed(1)),
      ratioLfsOverNative: Number((median(lfs) / median(native)).toFixed(2)),
      runs: { lfs: lfs.map(Math.round), native: native.map(Math.round) },
      machine: { cpus: cpus().length, loadavg: loadavg().map((l) => Number(l.toFixed(2))) },
    };
    console.table([
      { side: 'git lfs push', 'median ms': result.lfsMs, 'MiB/s': result.lfsMiBPerS },
      { side: result.native, 'median ms': result.nativeMs, 'MiB/s': result.nativeMiBPerS },
    ]);
    console.log(`ratio git lfs / native: ${result.ratioLfsOverNative}×`);
    writeResult('lfs', result);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
