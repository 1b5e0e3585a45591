/**
 * Chunk-level dedup end to end (issue 15): the real `cairn` command against the real `npm start`,
 * through the counting proxy, which sees every byte the CLI sends.
 *  - a 64 MiB file goes up as content-defined chunks in ~32 MiB packs and a recipe, never whole;
 *  - 100 bytes inserted in its middle: the re-push sends only the chunks around the insertion;
 *  - `cairn pull` gives both versions back byte-identical; HEAD, and Range reads with curl across
 *    chunk and pack edges, answer what a whole blob would;
 *  - killed between its pack uploads and the recipe commit, a push leaves nothing visible, and
 *    the same push run again succeeds;
 *  - a commit answered 202 is sent again, one answered 422 CHUNK_UNKNOWN (staged by the proxy, as a
 *    GC race would answer) re-sends exactly the chunks it lists;
 *  - a registry without the chunk API (404 on /v1/chunks/known) gets the file whole;
 *  - a 1 GiB file, written on disk and deleted after, end to end.
 */
import assert from 'node:assert/strict';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { register } from 'tsx/esm/api';
import { copyWithInsert, sha256File, writeRandomFile } from '../cli/chunk-files.mjs';
import { expectOk, startCliRegistry } from '../cli/registry.mjs';
import { spawnCli } from '../cli/run-cli.mjs';

register();
const { hashFile } = await import('../../cli/hashing.ts');

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const PACKS = /^\/v1\/chunks\/packs$/;
const RECIPE = /^\/v1\/blobs\/sha256:[0-9a-f]{64}\/recipe$/;
const WHOLE = /^\/v1\/(blobs\/sha256:[0-9a-f]{64}|uploads)$/;

let registry;
let server;
let proxy;

before(async () => {
  registry = await startCliRegistry();
  ({ server, proxy } = registry);
});

after(() => registry?.stop());

const push = (file, name, ...more) => registry.cli(['push', file, name, '--code', 'none', '--json', ...more]);

/** The end offsets of a file's chunks, as the CLI cuts them. */
async function chunkEnds(file) {
  const { chunks } = await hashFile(file, undefined, { chunks: true });
  let end = 0;
  return [...chunks.lengths].map((len) => {
    end += len;
    return end;
  });
}

async function readRange(file, start, endInclusive) {
  const handle = await open(file);
  try {
    const buf = Buffer.alloc(endInclusive - start + 1);
    await handle.read(buf, 0, buf.length, start);
    return buf;
  } finally {
    await handle.close();
  }
}

async function blobExists(digest) {
  const res = await server.curl(['-I', `${server.url}/v1/blobs/${digest}`]);
  return res.status;
}

async function expectPulled(ref, fileName, digest) {
  const out = join(server.workDir, `pulled-${ref.replace(/\W/g, '-')}`);
  expectOk(await registry.cli(['pull', ref, '-o', out, '--json']), `pull ${ref}`);
  assert.equal(await sha256File(join(out, fileName)), digest, `${ref} pulls back the same bytes`);
  await rm(out, { recursive: true, force: true });
}

test(
  'a 64 MiB file goes up as chunks; 100 bytes inserted in the middle re-send only the chunks around them',
  { timeout: 600_000 },
  () =>
    server.withLog(async () => {
      const v1 = join(server.workDir, 'data.bin');
      await writeRandomFile(v1, SIZE, 15);
      const digest1 = await sha256File(v1);

      proxy.reset();
      const first = expectOk(await push(v1, 'acme/chunky'), 'first push');
      assert.equal(first.json.upload.chunkedBlobs, 1);
      assert.equal(proxy.count('PUT', WHOLE) + proxy.count('POST', WHOLE), 0, 'never a whole-file upload');
      // A pack closes before the chunk that would take it past 32 MiB: 64 MiB take three.
      assert.equal(proxy.count('POST', PACKS), 3, '64 MiB of new chunks in packs of at most 32 MiB');
      const packBytes1 = proxy.bytes('POST', PACKS);
      assert.ok(packBytes1 >= SIZE && packBytes1 < SIZE + 64 * 1024, `${packBytes1} bytes in packs`);
      assert.ok(proxy.count('PUT', RECIPE) >= 1);
      assert.equal(first.json.upload.uploadedBytes, SIZE);

      // The same content again: the blob exists, nothing is chunked or sent.
      proxy.reset();
      const unchanged = expectOk(
        await registry.cli(['push', v1, 'acme/chunky', '--code', 'none']),
        'unchanged re-push',
      );
      assert.match(unchanged.stdout, /bytes: {4}0 B new, 64(\.0)? MiB reused\n/);
      assert.equal(proxy.count('POST', PACKS) + proxy.count('PUT', RECIPE), 0);

      // 100 bytes inserted in the middle.
      const v2 = join(server.workDir, 'edited', 'data.bin');
      await (await import('node:fs/promises')).mkdir(join(server.workDir, 'edited'));
      await copyWithInsert(v1, v2, SIZE / 2 + 12345, Buffer.alloc(100, 0x41));
      const digest2 = await sha256File(v2);
      proxy.reset();
      const second = expectOk(await push(v2, 'acme/chunky'), 're-push after the insertion');
      const packBytes2 = proxy.bytes('POST', PACKS);
      assert.equal(proxy.count('POST', PACKS), 1);
      assert.ok(packBytes2 <= 3 * 256 * 1024 + 100, `${packBytes2} bytes sent for a 100-byte insertion`);
      assert.equal(second.json.upload.uploadedBytes + second.json.upload.reusedBytes, SIZE + 100);
      assert.equal(proxy.count('PUT', WHOLE) + proxy.count('POST', WHOLE), 0);

      await expectPulled('acme/chunky@1', 'data.bin', digest1);
      await expectPulled('acme/chunky@2', 'data.bin', digest2);

      // HEAD and Range reads, as for a whole blob: across one chunk edge, across many chunks and
      // the edge between the two packs, across the inserted bytes, an open end and a suffix.
      const head = await server.curl(['-I', `${server.url}/v1/blobs/${digest2}`]);
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers['content-length']), SIZE + 100);
      assert.equal(head.headers.etag, `"${digest2}"`);
      const ends = await chunkEnds(v2);
      const packEdge = ends.find((e) => e >= 32 * MiB - 256 * 1024);
      const cases = [
        [ends[3] - 100, ends[3] + 99],
        [ends[10] - 5, ends[20] + 5],
        [packEdge - 70_000, packEdge + 300_000],
        [SIZE / 2 + 12345 - 1000, SIZE / 2 + 12345 + 1099],
        [0, 0],
        [SIZE + 100 - 1, SIZE + 100 - 1],
      ];
      for (const [start, end] of cases) {
        const res = await server.curl([
          '-H',
          `range: bytes=${start}-${end}`,
          `${server.url}/v1/blobs/${digest2}`,
        ]);
        assert.equal(res.status, 206, `bytes=${start}-${end}: ${res.body.slice(0, 200)}`);
        assert.equal(res.headers['content-range'], `bytes ${start}-${end}/${SIZE + 100}`);
        assert.ok(res.bytes.equals(await readRange(v2, start, end)), `bytes=${start}-${end}`);
      }
      const tail = await server.curl([
        '-H',
        `range: bytes=${ends[ends.length - 3]}-`,
        `${server.url}/v1/blobs/${digest2}`,
      ]);
      assert.equal(tail.status, 206);
      assert.ok(tail.bytes.equals(await readRange(v2, ends[ends.length - 3], SIZE + 99)));
      const suffix = await server.curl(['-H', 'range: bytes=-300000', `${server.url}/v1/blobs/${digest2}`]);
      assert.equal(suffix.status, 206);
      assert.ok(suffix.bytes.equals(await readRange(v2, SIZE + 100 - 300_000, SIZE + 99)));
    })(),
);

test(
  'killed between the pack uploads and the recipe commit: nothing visible, the same push then succeeds',
  { timeout: 600_000 },
  () =>
    server.withLog(async () => {
      const file = join(server.workDir, 'interrupted.bin');
      await writeRandomFile(file, 40 * MiB, 99);
      const digest = await sha256File(file);
      proxy.reset();
      const child = spawnCli(['push', file, 'acme/interrupted', '--code', 'none', '--json'], {
        env: registry.env,
        cwd: server.workDir,
      });
      child.stdin.end();
      // The recipe request is answered here, never forwarded: the CLI dies right as it commits.
      proxy.respond = (req) => {
        if (req.method !== 'PUT' || !RECIPE.test(req.url)) return null;
        child.kill('SIGKILL');
        return { status: 503, json: { error: { code: 'UNAVAILABLE', message: 'the client is gone' } } };
      };
      const killed = await child.result;
      proxy.respond = null;
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      assert.ok(proxy.count('POST', PACKS) >= 2, 'the packs were uploaded');
      assert.equal(
        proxy.matching('POST', PACKS).filter((r) => r.status === 201).length,
        proxy.count('POST', PACKS),
      );

      assert.equal(await blobExists(digest), 404, 'no blob without a committed recipe');
      const check = await server.curl([
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data',
        JSON.stringify({ digests: [digest] }),
        `${server.url}/v1/blobs/check`,
      ]);
      assert.deepEqual(check.json.missing, [digest]);
      const versions = await server.curl([`${server.url}/v1/artifacts/acme/interrupted/versions`]);
      assert.ok(versions.status === 404 || versions.json.items.length === 0, versions.body);

      proxy.reset();
      const again = expectOk(await push(file, 'acme/interrupted'), 'push after the interruption');
      assert.equal(again.json.version, 1);
      assert.equal(await blobExists(digest), 200);
      await expectPulled('acme/interrupted@1', 'interrupted.bin', digest);
    })(),
);

test(
  'a commit answered 202 is repeated; one answered 422 CHUNK_UNKNOWN re-sends exactly the chunks it lists',
  { timeout: 300_000 },
  () =>
    server.withLog(async () => {
      const file = join(server.workDir, 'raced.bin');
      await writeRandomFile(file, 24 * MiB, 31);
      const { chunks } = await hashFile(file, undefined, { chunks: true });
      const lost = Buffer.from(chunks.ids.subarray(5 * 32, 6 * 32)).toString('hex');
      const lostLength = chunks.lengths[5];
      proxy.reset();
      // Staged here, as GC and the verification budget would: first "verified some, ask again",
      // then "chunk 5 is gone" (a pack reclaimed between the upload and the commit).
      const staged = [
        { status: 202, headers: { 'retry-after': '0' }, json: { verifiedBytes: 1 } },
        {
          status: 422,
          json: { error: { code: 'CHUNK_UNKNOWN', message: 'gone', details: { missing: [lost] } } },
        },
      ];
      proxy.respond = (req) =>
        req.method === 'PUT' && RECIPE.test(req.url) ? (staged.shift() ?? null) : null;
      try {
        const res = expectOk(await push(file, 'acme/raced'), 'push through a 202 and a CHUNK_UNKNOWN');
        assert.match(res.stderr, /1 chunk\(s\) of .* were reclaimed on the server before the commit/);
        assert.equal(proxy.count('PUT', RECIPE), 3, 'the 202, the 422, then the real commit');
        const packs = proxy.matching('POST', PACKS);
        assert.equal(packs.length, 2, 'the file in one pack, then the lost chunk in its own');
        assert.equal(packs[1].bytes, 12 + 36 + lostLength, 'exactly the chunk that was listed');
        assert.equal(res.json.upload.uploadedBytes, 24 * MiB + lostLength);
      } finally {
        proxy.respond = null;
      }
      await expectPulled('acme/raced@1', 'raced.bin', await sha256File(file));
    })(),
);

test('a registry without the chunk API gets the file whole', { timeout: 300_000 }, () =>
  server.withLog(async () => {
    const file = join(server.workDir, 'old-server.bin');
    await writeRandomFile(file, 20 * MiB, 7);
    proxy.reset();
    proxy.respond = (req) =>
      req.url.startsWith('/v1/chunks/')
        ? { status: 404, json: { error: { code: 'NOT_FOUND', message: 'no such route' } } }
        : null;
    try {
      const res = expectOk(await push(file, 'acme/old-server'), 'push to a registry without chunks');
      assert.match(res.stderr, /does not store chunks/);
      assert.equal(res.json.upload.chunkedBlobs, 0);
      assert.equal(proxy.count('PUT', /^\/v1\/blobs\/sha256:[0-9a-f]{64}$/), 1, 'one whole-file PUT');
      assert.equal(proxy.count('POST', PACKS) + proxy.count('PUT', RECIPE), 0);
    } finally {
      proxy.respond = null;
    }
    await expectPulled('acme/old-server@1', 'old-server.bin', await sha256File(file));
  })(),
);

test('a 1 GiB file end to end: pushed as chunks, pulled back byte-identical', { timeout: 1_800_000 }, () =>
  server.withLog(async () => {
    const file = join(server.workDir, 'huge.bin');
    try {
      await writeRandomFile(file, 1024 * MiB, 2026);
      const digest = await sha256File(file);
      proxy.reset();
      const res = expectOk(await push(file, 'acme/huge'), 'push of 1 GiB');
      assert.equal(res.json.upload.chunkedBlobs, 1);
      assert.equal(res.json.upload.uploadedBytes, 1024 * MiB);
      assert.ok(proxy.count('POST', PACKS) >= 32, `${proxy.count('POST', PACKS)} packs`);
      assert.equal(proxy.count('PUT', WHOLE) + proxy.count('POST', WHOLE), 0);
      assert.equal((await stat(file)).size, 1024 * MiB);
      await expectPulled('acme/huge@1', 'huge.bin', digest);
    } finally {
      await rm(file, { force: true });
    }
  })(),
);
