#!/usr/bin/env node
/**
 * Python client bench (part of `npm run bench`), against the bench server (bench-server.mjs), on
 * a 1,000-file / 200 MiB directory (random bytes, 200 KiB a file), in the same run as its
 * baseline, the Node CLI:
 *
 *   python   `python3 -m cairn push <dir> bench/py-<n> --quiet --json` (clients/python, interpreter
 *            start included): hash, /v1/blobs/check, 8 uploads in flight on keep-alive
 *            connections, publish.
 *   node     `cairn push` (bin/cairn.mjs, Node and tsx start included) of its own directory of
 *            the same shape (fresh random bytes: the same bytes would be deduplicated).
 *   re-push  each side pushes its unchanged directory again: digests from its hash cache, one
 *            check round trip, nothing uploaded, the same version answered.
 *
 * Goals: Python push within 1.3× of the Node CLI's; Python re-push ≤ 5% of its push. Sides
 * alternate which goes first. Prints a table and writes test/bench/.out/python.json. Exit 0 (a
 * measurement, not a test).
 *
 *   BENCH_RUNS   runs (default 3)
 *   PYTHON       the interpreter (default python3, resolved to its executable)
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, median, ROOT, runSuite, startBenchServer, writeResult } from './bench-server.mjs';

const FILES = 1000;
const FILE_SIZE = 200 * 1024;
const RUNS = Number(process.env.BENCH_RUNS || 3);
/**
 * The interpreter itself, not a launcher in front of it (pyenv's `python3` shim is a shell script
 * that costs seconds on a loaded machine), as a virtual environment's `python` is.
 */
const PYTHON = execFileSync(process.env.PYTHON || 'python3', ['-c', 'import sys; print(sys.executable)'], {
  encoding: 'utf8',
}).trim();

let server;

const execFileAsync = promisify(execFile);

/** Runs a push command; resolves to its wall time and its --json answer. */
async function run(command, args, env) {
  const t0 = performance.now();
  const { stdout } = await execFileAsync(command, args, {
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  return { ms: performance.now() - t0, json: JSON.parse(stdout) };
}

function makeDir(dir) {
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `part-${String(i % 10)}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `chunk-${i}.bin`), randomBytes(FILE_SIZE));
  }
}

const PUSH_OPTIONS = '--kind dataset --code none --quiet --json'.split(' ');
const pushArgs = (dir, name) => ['push', dir, name, ...PUSH_OPTIONS];

/** One side's push command; each side keeps its own hash cache. */
function side(which, dir, name) {
  const env = {
    CAIRN_URL: server.base,
    CAIRN_TOKEN: server.token,
    XDG_CACHE_HOME: join(server.work, `cache-${which}`),
  };
  if (which === 'python') {
    return () =>
      run(PYTHON, ['-m', 'cairn', ...pushArgs(dir, name)], {
        ...env,
        PYTHONPATH: join(ROOT, 'clients', 'python'),
        // Bytecode cached as for an installed package (pip compiles it on install).
        PYTHONDONTWRITEBYTECODE: '',
      });
  }
  return () => run(process.execPath, [CLI, ...pushArgs(dir, name)], env);
}

async function oneRun(n) {
  const push = {};
  for (const which of ['python', 'node']) {
    const dir = join(server.work, `${which}-${n}`);
    makeDir(dir);
    push[which] = side(which, dir, `bench/${which}-${n}`);
  }
  const order = n % 2 === 0 ? ['python', 'node'] : ['node', 'python'];
  const result = {};
  for (const which of order) {
    const first = await push[which]();
    const again = await push[which]();
    if (again.json.upload.uploadedBytes !== 0 || again.json.version !== first.json.version) {
      throw new Error(`${which} re-push uploaded ${again.json.upload.uploadedBytes} bytes`);
    }
    if (first.json.upload.uploadedBlobs !== FILES)
      throw new Error(`${which} uploaded ${first.json.upload.uploadedBlobs}`);
    result[which] = first.ms;
    result[`${which}Repush`] = again.ms;
  }
  for (const which of ['python', 'node'])
    rmSync(join(server.work, `${which}-${n}`), { recursive: true, force: true });
  return result;
}

async function main() {
  server = await startBenchServer({ prefix: 'cairn-bench-python-' });
  const runs = [];
  for (let n = 1; n <= RUNS; n++) {
    const r = await oneRun(n);
    runs.push(r);
    console.log(
      `run ${n}: python push ${Math.round(r.python)} ms, node push ${Math.round(r.node)} ms, ` +
        `python re-push ${Math.round(r.pythonRepush)} ms, node re-push ${Math.round(r.nodeRepush)} ms`,
    );
  }
  const m = (key) => Math.round(median(runs.map((r) => r[key])));
  const result = {
    files: FILES,
    bytes: FILES * FILE_SIZE,
    runs: RUNS,
    machine: { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100) },
    medianMs: {
      python: m('python'),
      node: m('node'),
      pythonRepush: m('pythonRepush'),
      nodeRepush: m('nodeRepush'),
    },
    pythonOverNode: Math.round((m('python') / m('node')) * 100) / 100,
    // Each run's two pushes share that moment's load: the median of their ratios is the steadier figure.
    pythonOverNodePaired: Math.round(median(runs.map((r) => r.python / r.node)) * 100) / 100,
    pythonOverNodePerRun: runs.map((r) => Math.round((r.python / r.node) * 100) / 100),
    repushOverPush: Math.round((m('pythonRepush') / m('python')) * 1000) / 1000,
    runsMs: runs,
  };
  console.table([
    { operation: 'push (python -m cairn)', ms: result.medianMs.python },
    { operation: 'push (cairn, Node)', ms: result.medianMs.node },
    { operation: 're-push, unchanged (python)', ms: result.medianMs.pythonRepush },
    { operation: 're-push, unchanged (Node)', ms: result.medianMs.nodeRepush },
  ]);
  console.log(
    `python push / node push: ${result.pythonOverNode}× (medians), ${result.pythonOverNodePaired}× ` +
      `(median of per-run ratios ${result.pythonOverNodePerRun.join(', ')}; goal ≤ 1.3); python re-push / push: ` +
      `${(result.repushOverPush * 100).toFixed(1)}% (goal ≤ 5%)`,
  );
  writeResult('python', result);
}

await runSuite('python', main, () => server);
