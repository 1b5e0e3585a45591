/**
 * The bench server, shared by every `npm run bench` suite: test/bench/wrangler.toml (createApp()
 * plus the raw baseline routes of test/bench/worker.ts) bundled ONCE into a snapshot (so edits to
 * src/ cannot reload it mid-run), with fresh D1/R2 state in a temp dir, migrations applied, on a
 * free loopback port, in its own process group that is always killed at the end.
 *
 *   const server = await startBenchServer({ config, keep, vars });   // vars: extra `--var`s
 *   server.base, server.token, server.work (temp dir), server.readLog(), await server.stop()
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../e2e/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
/** Where each suite writes its JSON results. */
export const OUT_DIR = join(HERE, '.out');
/** The `cairn` command, for the suites that drive the CLI. */
export const CLI = join(ROOT, 'bin', 'cairn.mjs');
export const MiB = 1024 * 1024;
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
export const DEFAULT_CONFIG = join(HERE, 'wrangler.toml');
const serverEnv = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function snapshotConfig(config, work) {
  const outdir = join(work, 'snapshot');
  const build = spawnSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir, '-c', config], {
    cwd: ROOT,
    env: serverEnv,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`bundling failed:\n${build.stdout}\n${build.stderr}`);
  const text = readFileSync(config, 'utf8')
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(outdir, 'worker.js'))}\nno_bundle = true`)
    .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(join(ROOT, 'migrations'))}`);
  const snapshot = join(work, 'wrangler.toml');
  writeFileSync(snapshot, text);
  return snapshot;
}

export async function startBenchServer({
  config = DEFAULT_CONFIG,
  keep = false,
  prefix = 'cairn-bench-',
  vars = {},
} = {}) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(work, 'state');
  const logFile = join(work, 'wrangler.log');
  const token = `bench_${randomBytes(24).toString('base64url')}`;
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  const snapshot = snapshotConfig(config, work);
  const migrate = spawnSync(
    WRANGLER,
    ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir, '-c', snapshot],
    { cwd: ROOT, env: serverEnv, encoding: 'utf8' },
  );
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = openSync(logFile, 'a');
  const child = spawn(
    WRANGLER,
    [
      'dev',
      '-c',
      snapshot,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      stateDir,
      '--var',
      `ADMIN_TOKEN:${token}`,
      // Extra bindings a suite needs (e.g. REGISTRY_SIGNING_KEY, a PEM: no ':' in it).
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      '--show-interactive-dev-session=false',
    ],
    { cwd: ROOT, env: serverEnv, stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);

  let stopped = false;
  const kill = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {}
  };
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      kill('SIGTERM');
      if ((await Promise.race([gone, sleep(5000).then(() => 'timeout')])) === 'timeout') kill('SIGKILL');
    }
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
  // Last resort when something threw past the caller: never leave wrangler/workerd behind.
  process.on('exit', () => {
    if (!stopped && child.pid) kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      stop().finally(() => process.exit(130));
    });
  }

  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`${base}/v1/health`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status === 200) return { base, token, work, readLog, stop };
    } catch {}
    await sleep(250);
  }
  await stop();
  throw new Error(`wrangler dev did not become ready:\n${readLog().slice(-4000)}`);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Small authenticated client for the bench suites; `getServer` is read at call time. */
export function benchClient(getServer) {
  const auth = () => ({ authorization: `Bearer ${getServer().token}` });
  async function request(path, init = {}) {
    const res = await fetch(`${getServer().base}${path}`, {
      ...init,
      headers: { ...auth(), ...init.headers },
    });
    const body = await res.arrayBuffer();
    return { status: res.status, body };
  }
  async function ok(path, init, want = [200, 201]) {
    const res = await request(path, init);
    if (!want.includes(res.status)) {
      throw new Error(
        `${init?.method ?? 'GET'} ${path} → ${res.status} ${Buffer.from(res.body).toString().slice(0, 300)}`,
      );
    }
    return JSON.parse(Buffer.from(res.body).toString() || 'null');
  }
  const publish = (name, body) =>
    ok(`/v1/artifacts/${name}/versions`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  return { auth, request, ok, publish };
}

/** Writes a suite's results to test/bench/.out/<name>.json and says where. */
export function writeResult(name, result) {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = join(OUT_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwrote ${file}${result.durationS === undefined ? '' : ` (${result.durationS} s)`}`);
}

/** Runs a suite's main(); on failure prints the error and the server log's tail. Always stops the server. */
export async function runSuite(name, main, getServer) {
  try {
    await main();
  } catch (err) {
    console.error(`\n${name} bench failed: ${err.stack || err}`);
    const log = getServer()?.readLog();
    if (log) console.error(`--- wrangler log (tail) ---\n${log.slice(-3000)}`);
    process.exitCode = 1;
  } finally {
    await getServer()?.stop();
  }
}

/**
 * Starts the bench server for a suite: BENCH_CONFIG names another bench wrangler.toml (e.g. a
 * patched copy of the tree, for A/B runs), BENCH_KEEP=1 keeps the temp dir.
 */
export function startSuiteServer(prefix, vars = {}) {
  return startBenchServer({
    ...(process.env.BENCH_CONFIG ? { config: process.env.BENCH_CONFIG } : {}),
    keep: process.env.BENCH_KEEP === '1',
    prefix,
    vars,
  });
}

/** What a suite's JSON result records of the run's conditions; `started` is Date.now() at its start. */
export function runConditions(started, loadavgStart) {
  return {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavgStart,
    loadavgEnd: loadavg(),
    durationS: Math.round((Date.now() - started) / 1000),
  };
}

/**
 * Measures every side `runs` times, after `warmup` untimed rounds, the order rotating from run to
 * run so that no side always goes first; returns the samples of each side, in `sides` order.
 */
export async function rotate(label, sides, measure, { runs, warmup = 0 }) {
  const samples = sides.map(() => []);
  for (let w = 0; w < warmup; w++) for (const side of sides) await measure(side);
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (k + run) % sides.length;
      samples[i].push(await measure(sides[i]));
    }
    process.stdout.write(`\r${label}: run ${run + 1}/${runs}`);
  }
  process.stdout.write('\n');
  return samples;
}

/** A fresh registry signing key (PKCS#8 PEM) as the `vars` of startBenchServer, for suites that sign. */
export function signingKeyVars() {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return { REGISTRY_SIGNING_KEY: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Runs `cairn <args>` (bin/cairn.mjs) against `server`, quiet on stdout; rejects with its stderr. */
export function runCairn(server, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, CAIRN_URL: server.base, CAIRN_TOKEN: server.token },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`cairn ${args[0]} → ${code}\n${stderr}`)),
    );
  });
}
