/**
 * `cairn push` racing garbage collection, end to end against the real `npm start` behind the
 * counting proxy (test/cli/counting-proxy.mjs):
 *   - a PUT answered 409 BLOB_BUSY with Retry-After: 1 (what the server says while GC deletes
 *     that digest) is sent again after at least that second, and the push succeeds; a blob that
 *     stays busy fails the push after a bounded number of tries (exit 5);
 *   - a publish answered 422 BLOB_UNKNOWN listing one digest makes the CLI upload exactly that
 *     blob again and publish again; a publish refused every time gives up after 3 tries;
 *   - with the real server and real GC: a blob uploaded by the push is aged and collected by
 *     POST /v1/admin/gc just before the publish reaches the server, which then refuses it by
 *     itself; the CLI re-uploads it and the version is published with every file readable.
 * The BUSY and the first 422 are injected by the proxy: GC deletes a digest in a window of
 * milliseconds, which a test cannot aim at; the last test shows the real server's own 422.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { expectOk, startCliRegistry } from '../cli/registry.mjs';
import { ROOT } from './harness.mjs';

const T = 120_000;
const BLOB_PUT = /^\/v1\/blobs\/sha256:/;
const PUBLISH = /^\/v1\/artifacts\/[^/]+\/[^/]+\/versions$/;
const ATTEMPTS = 4; // cli/upload.ts
const PUBLISHES = 3; // one, then REPUBLISHES (2) more

let registry;
let server;
let proxy;

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const it = (name, fn) => test(name, { timeout: T }, (t) => server.withLog(fn)(t));

/** A directory of `n` small files whose content is unique to `tag`; returns dir and digests. */
function dataset(tag, n = 5) {
  const dir = join(server.workDir, tag);
  mkdirSync(dir, { recursive: true });
  const digests = [];
  for (let i = 0; i < n; i++) {
    const content = `${tag} file ${i}\n`;
    writeFileSync(join(dir, `f${i}.txt`), content);
    digests.push(sha256(content));
  }
  return { dir, digests };
}

const push = (dir, name) => registry.cli(['push', dir, name, '--code', 'none', '--parallel', '2', '--json']);

const busy = (digest) => ({
  status: 409,
  headers: { 'retry-after': '1' },
  json: {
    error: { code: 'BLOB_BUSY', message: `${digest} is being garbage-collected`, details: { digest } },
  },
});

const collected = (digests) => ({
  status: 422,
  json: {
    error: {
      code: 'BLOB_UNKNOWN',
      message: `${digests.length} referenced blob(s) were garbage-collected while this version was published`,
      details: { missing: digests, missingCount: digests.length },
    },
  },
});

const putsOf = (digest) => proxy.matching('PUT', BLOB_PUT).filter((r) => r.path.endsWith(digest));

before(async () => {
  registry = await startCliRegistry();
  ({ server, proxy } = registry);
});

after(() => registry?.stop());

test.afterEach(() => {
  proxy.respond = null;
  proxy.before = null;
});

it('409 BLOB_BUSY with Retry-After: 1 → the blob is sent again a second later and the push succeeds', async () => {
  const { dir, digests } = dataset('busy-once');
  const target = digests[2];
  let answered = false;
  proxy.reset();
  proxy.respond = (req) => {
    if (answered || req.method !== 'PUT' || !req.url.endsWith(target)) return null;
    answered = true;
    return busy(target);
  };
  const r = expectOk(await push(dir, 'acme/busy-once'), 'push');
  assert.equal(r.json.version, 1);
  const puts = putsOf(target);
  assert.deepEqual(
    puts.map((p) => [p.status, p.injected === true]),
    [
      [409, true],
      [201, false],
    ],
  );
  assert.ok(puts[1].at - puts[0].at >= 950, `waited ${puts[1].at - puts[0].at} ms, Retry-After said 1 s`);
  assert.match(r.stderr, /BLOB_BUSY \(409\); retrying in 1 s/);
  const head = await server.curl(['-I', `${server.url}/v1/blobs/${target}`]);
  assert.equal(head.status, 200, 'the retried blob is stored');
});

it('a blob that stays busy fails the push after a bounded number of tries (exit 5), nothing published', async () => {
  const { dir, digests } = dataset('busy-always');
  const target = digests[0];
  proxy.reset();
  proxy.respond = (req) => (req.method === 'PUT' && req.url.endsWith(target) ? busy(target) : null);
  const r = await push(dir, 'acme/busy-always');
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /BLOB_BUSY/);
  assert.equal(putsOf(target).length, ATTEMPTS);
  assert.equal(proxy.count('POST', PUBLISH), 0);
});

it('422 BLOB_UNKNOWN on publish → exactly the listed blob is uploaded again, then the publish succeeds', async () => {
  const { dir, digests } = dataset('collected-once');
  const target = digests[3];
  let refused = false;
  proxy.reset();
  proxy.respond = (req) => {
    if (refused || req.method !== 'POST' || !PUBLISH.test(req.url)) return null;
    refused = true;
    return collected([target]);
  };
  const r = expectOk(await push(dir, 'acme/collected-once'), 'push');
  assert.equal(r.json.version, 1);
  assert.equal(r.json.created, true);
  assert.equal(r.json.upload.reuploadedBlobs, 1);
  assert.equal(proxy.count('POST', PUBLISH), 2);
  assert.equal(putsOf(target).length, 2, 'the listed blob went up twice');
  for (const d of digests.filter((d) => d !== target)) assert.equal(putsOf(d).length, 1, `${d} once`);
  assert.match(r.stderr, /1 blob\(s\) were garbage-collected .* uploading them again/);
});

it('a publish refused every time gives up after 3 publishes with the server’s error', async () => {
  const { dir, digests } = dataset('collected-always');
  proxy.reset();
  proxy.respond = (req) => (req.method === 'POST' && PUBLISH.test(req.url) ? collected([digests[1]]) : null);
  const r = await push(dir, 'acme/collected-always');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /BLOB_UNKNOWN/);
  assert.equal(proxy.count('POST', PUBLISH), PUBLISHES);
  assert.equal(putsOf(digests[1]).length, PUBLISHES);
});

it('real GC collects an uploaded blob before the publish: the server refuses, the CLI re-uploads and publishes', async () => {
  const { dir, digests } = dataset('really-collected');
  const target = digests[4];
  let collectedBeforePublish = null;
  proxy.reset();
  proxy.before = async (req) => {
    if (collectedBeforePublish !== null || req.method !== 'POST' || !PUBLISH.test(req.url)) return;
    // The blob is unreferenced until this publish lands: make it older than the grace period
    // (the one thing a test cannot wait for) and let the real GC delete it.
    ageBlob(target);
    const gc = await server.curl([
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '--data',
      '{"orphanPages":0}',
      `${server.url}/v1/admin/gc`,
    ]);
    assert.equal(gc.status, 200, gc.body);
    collectedBeforePublish = gc.json.blobs;
  };
  const r = expectOk(await push(dir, 'acme/really-collected'), 'push');
  assert.deepEqual(collectedBeforePublish.sample, [target], 'GC deleted exactly the aged blob');
  const publishes = proxy.matching('POST', PUBLISH);
  assert.deepEqual(
    publishes.map((p) => [p.status, p.injected === true]),
    [
      [422, false],
      [201, false],
    ],
    'the real server refused the first publish',
  );
  assert.equal(putsOf(target).length, 2);
  assert.equal(r.json.upload.reuploadedBlobs, 1);
  const file = await server.curl([
    `${server.url}/v1/artifacts/acme/really-collected/versions/1/files/f4.txt`,
  ]);
  assert.equal(file.status, 200);
  assert.equal(file.body, 'really-collected file 4\n');
});

/** Sets a blob's created_at to the epoch in the server's local D1 (its own SQLite file). */
function ageBlob(digest) {
  const r = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'wrangler'),
    [
      'd1',
      'execute',
      'DB',
      '--local',
      '--persist-to',
      server.stateDir,
      '--command',
      `UPDATE blobs SET created_at = 0 WHERE digest = '${digest}'`,
    ],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
}
