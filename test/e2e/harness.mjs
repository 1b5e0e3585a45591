/**
 * End-to-end harness: a real Cairn (`node scripts/start.mjs`, i.e. `npm start`: local D1
 * migrations, then `wrangler dev`) on a free port with its own fresh state, driven with the real
 * `curl` binary. Shared by every e2e suite (blobs, CLI, git lfs, browser…).
 *
 *   import { startServer } from './harness.mjs';
 *   const server = await startServer();          // in before()
 *   const res = await server.curl(['-T', file, `${server.url}/v1/blobs/${digest}`]);
 *   res.status; res.headers['etag']; res.body; res.json
 *   await server.stop();                         // in after(): kills wrangler + workerd
 *
 * startServer(options):
 *   env        extra environment for the server (merged over process.env; PORT and
 *              CAIRN_STATE_DIR are always set by the harness)
 *   timeoutMs  how long to wait for GET /v1/health to answer 200 (default 60 s); on timeout the
 *              server is stopped and the error carries its log (its last lines first). A start
 *              that fails (timeout, or wrangler exiting) is retried once on a new port
 *   quiet      false: also echo the server log to stderr as it arrives (default: only kept, and
 *              shown when startup fails; `server.log()` returns it at any time). CAIRN_E2E_LOG=1
 *              in the environment makes false the default.
 *
 * The returned server has:
 *   url        http://127.0.0.1:<port> (no trailing slash)
 *   token      the ADMIN_TOKEN from .dev.vars (start.mjs creates the file if it is missing)
 *   port, stateDir, workDir (a scratch dir removed by stop(), free for tests to use)
 *   curl(args, { token, input })
 *              runs `curl -sS <args>` (execFile, no shell) and resolves to
 *              { status, headers, body, bytes, json, stderr }: `headers` is an object with
 *              lower-case names (of the last response when curl follows redirects), `bytes` the
 *              raw body Buffer, `body` the same as UTF-8, `json` the parsed body or undefined.
 *              Always adds `-H 'Expect:'` (local workerd never answers 100-continue, which costs a
 *              second per upload otherwise) and `Authorization: Bearer <token>`; the token
 *              defaults to the admin token, `token: null` sends none. Use `-o FILE` for large
 *              downloads (then `bytes` is empty). Rejects when curl itself fails (exit code ≠ 0),
 *              never for an HTTP error status. With `-I` (HEAD), `body` is empty.
 *   log()      the server's stdout+stderr so far; logTail(n) its last n lines
 *   withLog(fn) wraps a test function: when it throws, the server log's tail goes to stderr
 *              (a crash or an INTERNAL_ERROR stack then shows up in CI output), and it rethrows
 *   stop()     SIGTERM to the server's whole process group (wrangler, workerd, esbuild), SIGKILL
 *              if it is not gone in 5 s, then removes stateDir and workDir. Idempotent. The group
 *              is also killed (and the dirs removed) when the test process exits, or gets SIGINT
 *              or SIGTERM, without calling stop().
 *
 * Note: `wrangler dev` watches src/ and reloads the Worker when a file changes, which drops the
 * requests in flight: do not edit src/ while an e2e suite runs against the same work tree.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_LOG = 1024 * 1024;

/**
 * A TCP port that was free a moment ago on 127.0.0.1, chosen below Linux's ephemeral range
 * (32768–60999): a port the kernel hands out for bind(0) could be given, between this check and
 * the server's own bind, to any process binding port 0 meanwhile (wrangler's migrations apply
 * and dev start workerd instances on such ports), and the server would then fail to start. Seen
 * once in CI: the health probe got ECONNRESET from someone else's socket, then wrangler exited 1.
 */
export async function freePort() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found in 20000–31999 after 100 tries');
}

function canListen(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The ADMIN_TOKEN of `<root>/.dev.vars` (the `ADMIN_TOKEN=` line, not the comment), or null. */
export function readAdminToken(root = ROOT) {
  const file = join(root, '.dev.vars');
  if (!existsSync(file)) return null;
  return /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim() || null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Parses a curl `-D` dump: the last header block (after redirects / 1xx) wins. */
function parseHeaderDump(text) {
  const blocks = text.split(/\r?\n\r?\n/).filter((b) => /^HTTP\/\S+ \d{3}/.test(b.trim()));
  const last = blocks.at(-1)?.trim() ?? '';
  const [statusLine = '', ...lines] = last.split(/\r?\n/);
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status, headers };
}

let curlSeq = 0;

/**
 * Runs the real curl. Exported for suites that talk to other servers; most use server.curl().
 * `headerDir` is where the header dump goes (a scratch dir).
 */
export function runCurl(args, { token, input, headerDir = tmpdir() } = {}) {
  const headerFile = join(headerDir, `curl-headers-${process.pid}-${++curlSeq}.txt`);
  const full = ['-sS', '-D', headerFile, '-H', 'Expect:'];
  if (token) full.push('-H', `Authorization: Bearer ${token}`);
  full.push(...args);
  return new Promise((resolve, reject) => {
    const child = execFile(
      'curl',
      full,
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        let dump = '';
        try {
          dump = readFileSync(headerFile, 'utf8');
        } catch {}
        rmSync(headerFile, { force: true });
        if (err) {
          err.message = `curl ${args.join(' ')} failed: ${err.message}\n${stderr.toString()}`;
          reject(err);
          return;
        }
        const { status, headers } = parseHeaderDump(dump);
        // `curl -I` prints the headers to stdout: a HEAD response has no body.
        if (args.includes('-I') || args.includes('--head')) stdout = Buffer.alloc(0);
        const body = stdout.toString('utf8');
        let json;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {}
        resolve({ status, headers, body, bytes: stdout, json, stderr: stderr.toString() });
      },
    );
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/**
 * Starts the server; when an attempt fails to come up (wrangler exits during startup, or health
 * never answers), tries once more on a new port with fresh state: nothing of the Worker has run
 * yet (see freePort for the one cause seen in CI), and one flaky start should not fail a
 * 20-minute run. The failed attempt's log tail still goes to stderr, so a start that keeps
 * failing is visible.
 */
export async function startServer(options = {}) {
  try {
    return await startServerOnce(options);
  } catch (err) {
    process.stderr.write(`startServer: first attempt failed, retrying once: ${err.message.slice(0, 6000)}\n`);
    return await startServerOnce(options);
  }
}

async function startServerOnce({ env = {}, timeoutMs = 60_000, quiet = !process.env.CAIRN_E2E_LOG } = {}) {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'cairn-e2e-state-'));
  const workDir = mkdtempSync(join(tmpdir(), 'cairn-e2e-work-'));
  const url = `http://127.0.0.1:${port}`;

  let log = '';
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), CAIRN_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() kills wrangler and workerd with it
  });
  const onData = (chunk) => {
    if (!quiet) process.stderr.write(chunk);
    log += chunk.toString();
    if (log.length > MAX_LOG) log = log.slice(-MAX_LOG);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  const exitPromise = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  // Never leave wrangler/workerd behind: not on a normal exit without stop(), and not when the
  // test process is interrupted (then the signal is re-raised once nothing else handles it).
  const killOnExit = () => {
    killGroup(child.pid, 'SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    killOnExit();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on('exit', killOnExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (killGroup(child.pid, 'SIGTERM')) {
      const gone = await Promise.race([exitPromise.then(() => true), sleep(5000).then(() => false)]);
      // wrangler may exit before workerd does: make sure nothing of the group survives.
      killGroup(child.pid, gone ? 'SIGTERM' : 'SIGKILL');
      await sleep(100);
      killGroup(child.pid, 'SIGKILL');
    }
    process.off('exit', killOnExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  }

  const deadline = Date.now() + timeoutMs;
  let token = null;
  let lastError = 'no answer yet';
  try {
    for (;;) {
      if (exited) throw new Error(`server exited early (${JSON.stringify(exited)})`);
      if (Date.now() > deadline) throw new Error(`GET /v1/health did not answer 200 in ${timeoutMs} ms`);
      token ??= readAdminToken();
      if (token) {
        try {
          const res = await fetch(`${url}/v1/health`, {
            headers: { Authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(5000),
          });
          await res.arrayBuffer();
          if (res.status === 200) break;
          lastError = `health answered ${res.status}`;
          // 401: .dev.vars changed under us (another server created it at the same time).
          if (res.status === 401) token = null;
        } catch (err) {
          lastError = String(err?.cause ?? err);
        }
      }
      await sleep(250);
    }
  } catch (err) {
    await stop();
    // The tail first: tools that clip long output keep the start of a message, and the cause of a
    // failed start is in the last lines (the head is only wrangler's banner and migrations).
    const tail = log.split('\n').slice(-40).join('\n');
    err.message += ` (last: ${lastError})\n--- server log, last 40 lines ---\n${tail}\n--- whole server log ---\n${log}`;
    throw err;
  }

  const logTail = (n = 80) => log.split('\n').slice(-n).join('\n');
  return {
    url,
    token,
    port,
    stateDir,
    workDir,
    log: () => log,
    logTail,
    withLog:
      (fn) =>
      async (...args) => {
        try {
          return await fn(...args);
        } catch (err) {
          process.stderr.write(`--- server log (last lines) ---\n${logTail()}\n--- end of server log ---\n`);
          throw err;
        }
      },
    stop,
    curl: (args, { token: t = token, input } = {}) => runCurl(args, { token: t, input, headerDir: workDir }),
  };
}
