#!/usr/bin/env node
/**
 * CLI bench (part of `npm run bench`), against the bench server (bench-server.mjs), on a
 * 1,000-file / 200 MiB directory (random bytes, 200 KiB a file):
 *
 *   push     `cairn push <dir> bench/cli-<n> --quiet` (bin/cairn.mjs, Node and tsx startup
 *            included): hash, /v1/blobs/check, 8 uploads in flight, publish.
 *   curl     the naive loop a script would write (the README's `put()`): per file `sha256sum`
 *            then `curl -T` to /v1/blobs/<digest`, one after the other, then one curl publish.
 *            It gets its own random files of the same sizes (the same bytes would be deduplicated).
 *   re-push  the same `cairn push` again, nothing changed: digests from the hash cache (files
 *            whose inode, size, mtime and ctime are unchanged are not read again), 1 check round
 *            trip per 1,000 files, nothing uploaded, the same version answered.
 *   pull     `cairn pull` of the version into an empty directory (verified, temp file + rename),
 *            vs raw GETs: the same 1,000 `GET /v1/blobs/<digest>` with 8 in flight from Node's
 *            fetch, bodies read and dropped (no hashing, no disk).
 *
 * Targets: push ≥ 3× faster than curl; re-push ≤ 5% of push. Sides take turns going first.
 * Prints a table and writes test/bench/.out/cli.json. Exit 0 (a measurement, not a test).
 *
 *   BENCH_RUNS           runs (default 3)
 *   BENCH_BASELINE_CLI   another build's bin/cairn.mjs (e.g. an export of main): its push of
 *                        the same kind of directory is timed in the same runs, as `push (baseline)`,
 *                        so a change to the CLI is measured against what it replaces on the
 *                        same (shared, noisy) machine
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CLI, MiB, median, startBenchServer, writeResult } from './bench-server.mjs';

const FILES = 1000;
const FILE_SIZE = 200 * 1024;
const TOTAL = FILES * FILE_SIZE;
const PARALLEL = 8;
const RUNS = Number(process.env.BENCH_RUNS || 3);
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI || null;

let server;

function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve({ ms, out });
      else
        reject(new Error(`${command} ${args.join(' ').slice(0, 200)} exited ${code}\n${err.slice(-2000)}`));
    });
  });
}

function makeDir(dir) {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `part-${String(i % 10)}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `chunk-${i}.bin`), randomBytes(FILE_SIZE));
  }
}

const cli = (args, bin = CLI) =>
  run(process.execPath, [bin, ...args], {
    CAIRN_URL: server.base,
    CAIRN_TOKEN: server.token,
    XDG_CACHE_HOME: join(server.work, 'cache'),
  });

const pushArgs = (dir, name) => ['push', dir, name, ...PUSH_FLAGS];
const PUSH_FLAGS = ['--kind', 'dataset', '--code', 'none', '--quiet', '--json'];

/** The naive script: hash and upload one file at a time, then publish. */
const CURL_LOOP = `
set -euo pipefail
cd "$1"; NAME="$2"; entries=""
for f in $(find . -type f | sed 's|^\\./||' | sort); do
  d=sha256:$(sha256sum "$f" | cut -d' ' -f1)
  curl -sSf -H 'Expect:' -H "Authorization: Bearer $TOKEN" -T "$f" "$CAIRN/v1/blobs/$d" >/dev/null
  entries="$entries\${entries:+,}{\\"path\\":\\"$f\\",\\"digest\\":\\"$d\\",\\"size\\":$(stat -c %s "$f")}"
done
printf '{"kind":"dataset","files":[%s]}' "$entries" > "$3"
curl -sSf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
  --data-binary @"$3" "$CAIRN/v1/artifacts/$NAME/versions" >/dev/null
`;

const curlLoop = (dir, name, scratch) =>
  run('bash', ['-c', CURL_LOOP, 'curl-loop', dir, name, join(scratch, 'publish.json')], {
    CAIRN: server.base,
    TOKEN: server.token,
  });

/** 1,000 GETs, 8 in flight, bodies read and dropped: what a pull moves, minus its checks. */
async function rawGets(digests) {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < digests.length) {
      const digest = digests[next++];
      const res = await fetch(`${server.base}/v1/blobs/${digest}`, {
        headers: { authorization: `Bearer ${server.token}` },
      });
      if (res.status !== 200) throw new Error(`GET ${digest} → ${res.status}`);
      for await (const _ of res.body) {
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return performance.now() - t0;
}

const mibps = (ms) => Math.round((TOTAL / MiB / (ms / 1000)) * 10) / 10;

async function oneRun(n, work) {
  const cliDir = join(work, `cli-${n}`);
  const curlDir = join(work, `curl-${n}`);
  const baseDir = join(work, `base-${n}`);
  makeDir(cliDir);
  makeDir(curlDir);
  const sides = {
    push: () => cli(pushArgs(cliDir, `bench/cli-${n}`)),
    curl: () => curlLoop(curlDir, `bench/curl-${n}`, work),
  };
  if (BASELINE_CLI) {
    makeDir(baseDir);
    sides.base = () => cli(pushArgs(baseDir, `bench/base-${n}`), BASELINE_CLI);
  }
  // Each side goes first in turn (the first of a run meets a server warmed by the last run).
  const names = Object.keys(sides);
  const order = names.map((_, i) => names[(i + n) % names.length]);
  const ms = {};
  let published;
  for (const side of order) {
    const r = await sides[side]();
    ms[side] = r.ms;
    if (side === 'push') published = JSON.parse(r.out);
  }
  const again = await cli(pushArgs(cliDir, `bench/cli-${n}`));
  const repushed = JSON.parse(again.out);
  if (repushed.upload.uploadedBytes !== 0 || repushed.version !== published.version) {
    throw new Error(`re-push uploaded ${repushed.upload.uploadedBytes} bytes, version ${repushed.version}`);
  }
  const pullDir = join(work, `pull-${n}`);
  const pulled = await cli(['pull', `bench/cli-${n}@${published.version}`, '-o', pullDir, '--quiet']);
  const manifest = await (
    await fetch(published.manifestUrl, { headers: { authorization: `Bearer ${server.token}` } })
  ).json();
  const raw = await rawGets(manifest.files.map((f) => f.digest));
  for (const dir of [cliDir, curlDir, baseDir, pullDir]) rmSync(dir, { recursive: true, force: true });
  return {
    push: ms.push,
    curl: ms.curl,
    ...(BASELINE_CLI ? { base: ms.base } : {}),
    repush: again.ms,
    pull: pulled.ms,
    rawGets: raw,
  };
}

async function main() {
  server = await startBenchServer({ prefix: 'cairn-bench-cli-' });
  try {
    const runs = [];
    for (let n = 1; n <= RUNS; n++) {
      const r = await oneRun(n, server.work);
      runs.push(r);
      console.log(
        `run ${n}: push ${Math.round(r.push)} ms, curl loop ${Math.round(r.curl)} ms, ` +
          (BASELINE_CLI ? `push (baseline) ${Math.round(r.base)} ms, ` : '') +
          `re-push ${Math.round(r.repush)} ms, pull ${Math.round(r.pull)} ms, raw GETs ${Math.round(r.rawGets)} ms`,
      );
    }
    const m = (key) => Math.round(median(runs.map((r) => r[key])));
    const result = {
      files: FILES,
      bytes: TOTAL,
      runs: RUNS,
      parallel: PARALLEL,
      machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
      medianMs: {
        push: m('push'),
        curl: m('curl'),
        repush: m('repush'),
        pull: m('pull'),
        rawGets: m('rawGets'),
        ...(BASELINE_CLI ? { baseline: m('base') } : {}),
      },
      speedupOverCurl: Math.round((m('curl') / m('push')) * 100) / 100,
      ...(BASELINE_CLI
        ? {
            baselineCli: BASELINE_CLI,
            baselineSpeedupOverCurl: Math.round((m('curl') / m('base')) * 100) / 100,
            speedupOverBaseline: Math.round((m('base') / m('push')) * 100) / 100,
          }
        : {}),
      repushOverPush: Math.round((m('repush') / m('push')) * 1000) / 1000,
      pullMiBps: mibps(m('pull')),
      rawGetsMiBps: mibps(m('rawGets')),
      runsMs: runs,
    };
    console.table([
      { operation: 'push (cairn)', ms: result.medianMs.push },
      { operation: 'naive curl loop', ms: result.medianMs.curl },
      ...(BASELINE_CLI ? [{ operation: 'push (baseline CLI)', ms: result.medianMs.baseline }] : []),
      { operation: 're-push, unchanged', ms: result.medianMs.repush },
      { operation: 'pull (cairn)', ms: result.medianMs.pull, 'MiB/s': result.pullMiBps },
      { operation: 'raw GETs, 8 in flight', ms: result.medianMs.rawGets, 'MiB/s': result.rawGetsMiBps },
    ]);
    console.log(
      `push vs curl loop: ${result.speedupOverCurl}× faster (target ≥ 3); re-push / push: ` +
        `${(result.repushOverPush * 100).toFixed(1)}% (target ≤ 5%)`,
    );
    if (BASELINE_CLI) {
      console.log(
        `baseline CLI vs curl loop: ${result.baselineSpeedupOverCurl}×; push vs baseline CLI: ${result.speedupOverBaseline}× faster`,
      );
    }
    writeResult('cli', result);
  } finally {
    await server.stop();
  }
}

await main();
