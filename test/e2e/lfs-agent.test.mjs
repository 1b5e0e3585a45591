/**
 * `cairn` as the Git LFS transfer agent, end to end with the real `git lfs` against the real
 * `npm start`, through the counting proxy: a 200 MiB object (above the 95 MiB single-request
 * limit that answers 413 to a `basic` upload) is pushed after `cairn lfs-enable-largefiles`;
 * the first push is killed once two multipart parts are stored and the second resumes the open
 * session (only the missing parts go up); a fresh clone pulls it through the agent, byte
 * identical, and `git lfs fsck` passes. A wrong token fails the push with Cairn's message.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { startCliRegistry } from '../cli/registry.mjs';
import { runCli } from '../cli/run-cli.mjs';
import { git, gitHome, gitOk as gitOkIn } from './git-lfs.mjs';

const MiB = 1024 * 1024;
const SIZE = 200 * MiB;
const PART_SIZE = 64 * MiB; // the server's default UPLOAD_PART_SIZE
const PARTS = Math.ceil(SIZE / PART_SIZE);
const PART_PUT = /^\/v1\/uploads\/upl_[\w-]+\/parts\/\d+$/;

let registry;
let home;
let lfsUrl;
let gitEnv;

const gitOk = (args, options = {}) => gitOkIn(args, { homeDir: home, env: gitEnv, ...options });

/** `size` seeded pseudo-random bytes (xorshift, 1 MiB blocks) into `file`; resolves to SHA-256 hex. */
async function seededFile(file, size, seed) {
  const hash = createHash('sha256');
  let x = seed >>> 0 || 1;
  async function* blocks() {
    for (let left = size; left > 0; left -= MiB) {
      const block = new Uint32Array(Math.min(MiB, left) / 4);
      for (let i = 0; i < block.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        block[i] = x >>> 0;
      }
      const bytes = Buffer.from(block.buffer);
      hash.update(bytes);
      yield bytes;
    }
  }
  await pipeline(blocks(), createWriteStream(file));
  return hash.digest('hex');
}

async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk);
  return hash.digest('hex');
}

/** `git push` in its own process group, so a kill takes git-lfs and the agent with it. */
function spawnGit(args, cwd) {
  const child = spawn('git', args, {
    cwd,
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      ...gitEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  child.stdout.resume();
  child.result = new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return child;
}

before(async () => {
  registry = await startCliRegistry();
  const { server, proxy, env } = registry;
  lfsUrl = `${proxy.url}/lfs/acme/weights`;
  gitEnv = env; // CAIRN_URL, CAIRN_TOKEN, XDG dirs: what the agent reads like any cairn command
  home = await gitHome(join(server.workDir, 'home'), proxy.url, server.token);
});

after(() => registry?.stop());

test(
  'a 200 MiB object: pushed through the agent (killed, then resumed), cloned and fscked through it',
  { timeout: 900_000 },
  () =>
    registry.server.withLog(async () => {
      const { server, proxy } = registry;
      const started = Date.now();
      const dir = join(server.workDir, 'repo');
      mkdirSync(dir, { recursive: true });
      await gitOk(['init', '-q', '-b', 'main', dir]);
      await gitOk(['config', 'lfs.url', lfsUrl], { cwd: dir });
      await gitOk(['lfs', 'track', '*.bin'], { cwd: dir });
      const oid = await seededFile(join(dir, 'model.bin'), SIZE, 13);
      await gitOk(['add', '-A'], { cwd: dir });
      await gitOk(['commit', '-q', '-m', 'weights'], { cwd: dir });
      const remote = `${dir}.git`;
      await gitOk(['init', '-q', '--bare', '-b', 'main', remote]);
      await gitOk(['remote', 'add', 'origin', remote], { cwd: dir });

      // Without the agent, the basic adapter gets the batch's per-object 413.
      const basic = await git(['push', 'origin', 'main'], { cwd: dir, homeDir: home, env: gitEnv });
      assert.notEqual(basic.code, 0);
      assert.match(basic.stderr, /one upload request takes at most/);

      const enabled = await runCli(['lfs-enable-largefiles', dir, '--json'], { env: gitEnv, cwd: dir });
      assert.equal(enabled.code, 0, enabled.stderr);
      assert.equal(enabled.json.repo, 'acme/weights');
      assert.equal(
        (await gitOk(['config', 'lfs.standalonetransferagent'], { cwd: dir })).stdout.trim(),
        'cairn',
      );

      // 1. Kill the push (its whole process group) once two parts are stored.
      proxy.reset();
      const child = spawnGit(['push', 'origin', 'main'], dir);
      let stored = 0;
      proxy.onResponse = (entry) => {
        if (entry.method === 'PUT' && PART_PUT.test(entry.path) && entry.status === 200 && ++stored === 2) {
          process.kill(-child.pid, 'SIGKILL');
        }
      };
      const first = await child.result;
      proxy.onResponse = null;
      assert.equal(first.signal, 'SIGKILL', first.stderr);
      assert.equal(proxy.count('PUT', /^\/v1\/blobs\//), 0, 'never a single PUT for 200 MiB');
      assert.equal(proxy.count('POST', /^\/v1\/uploads\/[^/]+\/complete$/), 0);

      // 2. Push again: the open session is resumed, only the missing parts are sent.
      proxy.reset();
      await gitOk(['push', 'origin', 'main'], { cwd: dir });
      const sent = proxy.matching('PUT', PART_PUT).map((r) => Number(r.path.split('/').at(-1)));
      assert.ok(sent.length <= PARTS - 2, `resumed: sent parts ${sent} of ${PARTS}`);
      assert.equal(Math.max(...sent), PARTS);
      assert.equal(proxy.count('POST', /^\/v1\/uploads\/[^/]+\/complete$/), 1);
      assert.equal(proxy.count('POST', /^\/lfs\/acme\/weights\/objects\/verify$/), 1);
      assert.equal(proxy.count('POST', /objects\/batch$/), 0, 'standalone: no batch API');

      // 3. A fresh clone (pointers only), the agent enabled, then `git lfs pull` through it.
      const clone = join(server.workDir, 'clone');
      await gitOk(['clone', '-q', remote, clone], { env: { ...gitEnv, GIT_LFS_SKIP_SMUDGE: '1' } });
      await gitOk(['config', 'lfs.url', lfsUrl], { cwd: clone });
      assert.equal((await runCli(['lfs-enable-largefiles', clone], { env: gitEnv, cwd: clone })).code, 0);
      proxy.reset();
      await gitOk(['lfs', 'pull'], { cwd: clone });
      assert.equal(proxy.count('GET', new RegExp(`^/v1/blobs/sha256:${oid}$`)), 1);
      assert.equal(await sha256File(join(clone, 'model.bin')), oid);
      await gitOk(['lfs', 'fsck'], { cwd: clone });
      console.log(`# 200 MiB via the agent (push killed + resumed, clone, fsck): ${Date.now() - started} ms`);
    })(),
);

test(
  'a wrong token: the push fails and git shows Cairn’s 401 message, never the token',
  { timeout: 300_000 },
  () =>
    registry.server.withLog(async () => {
      const { server } = registry;
      const dir = join(server.workDir, 'repo-bad-token');
      mkdirSync(dir, { recursive: true });
      await gitOk(['init', '-q', '-b', 'main', dir]);
      await gitOk(['config', 'lfs.url', lfsUrl], { cwd: dir });
      await gitOk(['lfs', 'track', '*.bin'], { cwd: dir });
      await seededFile(join(dir, 'small.bin'), MiB, 7);
      await gitOk(['add', '-A'], { cwd: dir });
      await gitOk(['commit', '-q', '-m', 'small'], { cwd: dir });
      await gitOk(['init', '-q', '--bare', '-b', 'main', `${dir}.git`]);
      await gitOk(['remote', 'add', 'origin', `${dir}.git`], { cwd: dir });
      assert.equal((await runCli(['lfs-enable-largefiles', dir], { env: gitEnv, cwd: dir })).code, 0);
      const wrong = 'cairn_wrong_token_0123456789';
      const res = await git(['push', 'origin', 'main'], {
        cwd: dir,
        homeDir: home,
        env: { ...gitEnv, CAIRN_TOKEN: wrong },
      });
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /cairn: .*401|refused/i, res.stderr);
      assert.match(res.stderr, /CAIRN_TOKEN/);
      assert.doesNotMatch(res.stderr, new RegExp(wrong));
    })(),
);
