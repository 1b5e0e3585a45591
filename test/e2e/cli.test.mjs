/**
 * The `cairn` CLI end to end, against the real `npm start`, through a counting proxy that
 * records every request (test/cli/counting-proxy.mjs), so the claims are asserted on request
 * counts, never on time:
 *   - push of a 2,000-file directory: 2 check round trips, 2,000 uploads, 1 publish; the same
 *     push again uploads 0 bytes with 2 check round trips; 3 files changed → exactly 3 uploads;
 *   - pull reproduces the tree byte for byte, and a second pull downloads nothing;
 *   - a tampered download fails verification (exit 6) and leaves no file;
 *   - a manifest with an escaping path (served by a fake registry, since Cairn refuses them)
 *     writes nothing outside the target directory;
 *   - login, and the errors a pipeline meets: bad token (3), unknown ref (4), no server (7).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { expectOk, startCliRegistry } from '../cli/registry.mjs';
import { runCli } from '../cli/run-cli.mjs';
import { freePort } from './harness.mjs';

const T = 300_000;
const BLOB_PUT = /^\/v1\/blobs\/sha256:/;
const CHECK = /^\/v1\/blobs\/check$/;
const FILES = 2000;

let registry;
let server;
let proxy;

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const it = (name, fn, timeout = T) => test(name, { timeout }, (t) => server.withLog(fn)(t));
const cli = (args, extra) => registry.cli(args, extra);

const ok = expectOk;

/** Every file under dir, as relative path → bytes. */
function tree(dir, prefix = '') {
  const out = new Map();
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of tree(dir, rel)) out.set(k, v);
    else out.set(rel, readFileSync(join(dir, rel)));
  }
  return out;
}

before(async () => {
  registry = await startCliRegistry();
  ({ server, proxy } = registry);
});

after(() => registry?.stop());

describe('cairn push and pull', () => {
  let data;

  before(() => {
    data = join(server.workDir, 'dataset');
    for (let i = 0; i < FILES; i++) {
      const dir = join(data, `shard-${String(i % 20).padStart(2, '0')}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `rows-${i}.csv`), `id,value\n${i},${(i * 7919) % 1000}\n`);
    }
  });

  it('a 2,000-file directory: 2 check round trips, 2,000 uploads, one publish', async () => {
    proxy.reset();
    const r = ok(
      await cli(['push', data, 'acme/rows', '--kind', 'dataset', '--tag', 'latest', '--json']),
      'push',
    );
    assert.equal(r.json.version, 1);
    assert.equal(r.json.created, true);
    assert.match(r.json.manifestUrl, /\/v1\/manifests\/sha256:[0-9a-f]{64}$/);
    assert.equal(proxy.count('POST', CHECK), 2);
    assert.equal(proxy.count('PUT', BLOB_PUT), FILES);
    assert.equal(proxy.count('POST', /^\/v1\/artifacts\/acme\/rows\/versions$/), 1);
    assert.deepEqual(r.json.upload.uploadedBlobs, FILES);
  });

  it('pushing the same directory again uploads 0 bytes and makes 2 check round trips', async () => {
    proxy.reset();
    const r = ok(
      await cli(['push', data, 'acme/rows', '--kind', 'dataset', '--tag', 'latest', '--json']),
      'push',
    );
    assert.equal(r.json.version, 1, 'same manifest: same version');
    assert.equal(r.json.created, false);
    assert.equal(proxy.count('POST', CHECK), 2);
    assert.equal(proxy.count('PUT', BLOB_PUT), 0);
    assert.equal(proxy.bytes('PUT', /^\/v1\/(blobs|uploads)\//), 0);
  });

  it('3 changed files → exactly 3 uploads and a new version', async () => {
    for (const i of [5, 500, 1999])
      writeFileSync(
        join(data, `shard-${String(i % 20).padStart(2, '0')}`, `rows-${i}.csv`),
        `changed ${i}\n`,
      );
    proxy.reset();
    const r = ok(
      await cli(['push', data, 'acme/rows', '--kind', 'dataset', '--tag', 'latest', '--json']),
      'push',
    );
    assert.equal(r.json.version, 2);
    assert.equal(proxy.count('POST', CHECK), 2);
    assert.equal(proxy.count('PUT', BLOB_PUT), 3);
    const uploaded = proxy.matching('PUT', BLOB_PUT).map((req) => req.path.split('/').at(-1));
    assert.deepEqual(uploaded.sort(), [5, 500, 1999].map((i) => sha256(`changed ${i}\n`)).sort());
  });

  it('pull reproduces the tree byte for byte; pulling again downloads nothing', async () => {
    const out = join(server.workDir, 'pulled');
    proxy.reset();
    const r = ok(await cli(['pull', 'acme/rows:latest', '-o', out, '--json']), 'pull');
    assert.equal(r.json.downloaded, FILES);
    assert.deepEqual(tree(out), tree(data));
    proxy.reset();
    const again = ok(await cli(['pull', 'acme/rows@2', '-o', out, '--json']), 'pull again');
    assert.equal(again.json.skipped, FILES);
    assert.equal(proxy.count('GET', BLOB_PUT), 0);
  });

  it('a tampered download fails verification (exit 6) and writes nothing', async () => {
    const out = join(server.workDir, 'tampered');
    proxy.tamper = (req) => req.method === 'GET' && BLOB_PUT.test(req.url);
    try {
      const r = await cli(['pull', 'acme/rows@1', '-o', out, '--parallel', '1']);
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /verification failed/);
    } finally {
      proxy.tamper = null;
    }
    const left = existsSync(out) ? [...tree(out).keys()] : [];
    assert.deepEqual(left, [], 'neither the file nor a temp file is left');
  });

  it('verify re-hashes the manifest and every file', async () => {
    const r = ok(await cli(['verify', 'acme/rows@2', '--json']), 'verify');
    assert.equal(r.json.ok, true);
    assert.equal(r.json.checked, FILES);
    proxy.tamper = (req) => req.method === 'GET' && req.url.endsWith(sha256('changed 500\n'));
    try {
      const bad = await cli(['verify', `acme/rows@${r.json.digest}`]);
      assert.equal(bad.code, 6, bad.stderr);
      assert.match(bad.stdout, /FAILED shard-00\/rows-500\.csv/);
    } finally {
      proxy.tamper = null;
    }
  });
});

describe('cairn pull refuses paths that escape the target directory', () => {
  /** A fake registry: resolve → a manifest (with the right digest) naming `paths`. */
  async function fakeRegistry(paths) {
    const content = Buffer.from('pwned\n');
    const files = paths.map((path) => ({ path, digest: sha256(content), size: content.length }));
    const manifest = Buffer.from(
      JSON.stringify({ schema: 'cairn.manifest/v1', artifact: 'evil/x', kind: 'other', files, inputs: [] }),
    );
    const digest = sha256(manifest);
    const port = await freePort();
    const fake = http.createServer((req, res) => {
      if (req.url.startsWith('/v1/resolve/')) {
        res.setHeader('content-type', 'application/json');
        return res.end(
          JSON.stringify({ ref: 'evil/x:latest', artifact: 'evil/x', version: 1, digest, manifestUrl: '' }),
        );
      }
      if (req.url === `/v1/manifests/${digest}`) return res.end(manifest);
      if (req.url.startsWith('/v1/blobs/')) return res.end(content);
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise((r) => fake.listen(port, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => fake.close(r)) };
  }

  for (const path of ['../escaped.txt', 'a/../../escaped.txt', '/tmp/escaped-absolute.txt']) {
    it(`${JSON.stringify(path)} → exit 6, nothing written`, async () => {
      const fake = await fakeRegistry(['fine.txt', path]);
      const base = join(server.workDir, `traversal-${Math.random().toString(36).slice(2)}`);
      const out = join(base, 'out');
      mkdirSync(base, { recursive: true });
      try {
        const r = await cli(['pull', 'evil/x', '-o', out], { env: { CAIRN_URL: fake.url } });
        assert.equal(r.code, 6, r.stderr);
        assert.match(r.stderr, /refusing to write/);
      } finally {
        await fake.close();
      }
      assert.equal(existsSync(join(base, 'escaped.txt')), false);
      assert.equal(existsSync('/tmp/escaped-absolute.txt'), false);
      assert.equal(existsSync(join(out, 'fine.txt')), false, 'refused before the first byte');
    });
  }
});

describe('cairn login and errors', () => {
  it('login checks the token and saves url and token with mode 0600', async () => {
    const config = join(server.workDir, 'login-config');
    const noEnv = { CAIRN_URL: '', CAIRN_TOKEN: '', XDG_CONFIG_HOME: config };
    const bad = await runCli(['login', '--url', proxy.url, '--token-stdin'], {
      env: noEnv,
      input: 'wrong-token\n',
    });
    assert.equal(bad.code, 3, bad.stderr);
    ok(
      await runCli(['login', '--url', proxy.url, '--token-stdin'], {
        env: noEnv,
        input: `${server.token}\n`,
      }),
      'login',
    );
    const file = join(config, 'cairn', 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: proxy.url, token: server.token });
    const r = ok(await runCli(['log', 'acme/rows', '--json'], { env: noEnv }), 'log with the saved config');
    assert.deepEqual(
      r.json.items.map((v) => v.version),
      [2, 1],
    );
  });

  it('a wrong token → exit 3 with a hint; an unknown ref → exit 4; no server → exit 7', async () => {
    const auth = await cli(['show', 'acme/rows'], { env: { CAIRN_TOKEN: 'cairn_wrong' } });
    assert.equal(auth.code, 3);
    assert.match(auth.stderr, /UNAUTHORIZED[\s\S]*hint: the token from CAIRN_TOKEN was refused/);
    const unknown = await cli(['show', 'acme/rows:nope']);
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /TAG_UNKNOWN/);
    const down = await cli(['log', 'acme/rows'], {
      env: { CAIRN_URL: `http://127.0.0.1:${await freePort()}` },
    });
    assert.equal(down.code, 7);
    assert.match(down.stderr, /cannot reach[\s\S]*hint: is the registry running/);
    const usage = await cli(['push', 'only-one-arg']);
    assert.equal(usage.code, 2);
  });
});
