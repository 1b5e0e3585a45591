/**
 * Foundation, end to end: the real `npm start` server driven with the real curl, as a user would.
 * Verified blob PUT/GET/HEAD/Range, nothing kept on a digest mismatch, a 300 MiB multipart upload
 * that downloads byte-identical, the single-request size limit, and token scopes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startServer } from './harness.mjs';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/**
 * Per-test timeouts: a hung request fails the test instead of stalling CI. Generous, since a
 * busy disk can stall local D1/R2 for a long while; normally the 300 MiB test takes ~20 s.
 */
const T = 120_000;
const T_BIG = 300_000;

let server;
let dir;

/** `sha256:<hex>` of a file, computed by the real sha256sum. */
async function sha256sum(file) {
  const { stdout } = await run('sha256sum', [file]);
  return `sha256:${stdout.split(/\s+/)[0]}`;
}

/** Writes `size` random bytes to `file` in 1 MiB chunks (never the whole file in memory). */
async function randomFile(file, size) {
  async function* chunks() {
    for (let left = size; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left));
  }
  await pipeline(chunks(), createWriteStream(file));
}

/** Copies bytes [start, start + length) of `src` to `dest`. */
async function slice(src, dest, start, length) {
  await pipeline(createReadStream(src, { start, end: start + length - 1 }), createWriteStream(dest));
}

/** A test with a timeout that, when it fails, also prints the server log's tail. */
const it = (name, fn, timeout = T) => test(name, { timeout }, (t) => server.withLog(fn)(t));
const blobUrl = (digest) => `${server.url}/v1/blobs/${digest}`;
const json = (value) => ['-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(value)];

async function expectHealthy() {
  const res = await server.curl([`${server.url}/v1/health`]);
  assert.equal(res.status, 200, `health after the previous request: ${res.body}`);
}

async function head(digest) {
  return server.curl(['-I', blobUrl(digest)]);
}

async function missing(digests) {
  const res = await server.curl(['-X', 'POST', ...json({ digests }), `${server.url}/v1/blobs/check`]);
  assert.equal(res.status, 200, res.body);
  return res.json.missing;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-foundation-'));
  server = await startServer();
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('single-request blobs', () => {
  it('PUT with curl -T: 201, then 200; GET, HEAD and Range serve the same bytes', async () => {
    const file = join(dir, 'small.bin');
    const bytes = randomBytes(5000);
    writeFileSync(file, bytes);
    const digest = await sha256sum(file);

    const first = await server.curl(['-T', file, blobUrl(digest)]);
    assert.equal(first.status, 201, first.body);
    assert.deepEqual(first.json, { digest, size: bytes.length });
    const again = await server.curl(['-T', file, blobUrl(digest)]);
    assert.equal(again.status, 200, again.body);
    assert.deepEqual(again.json, { digest, size: bytes.length });

    const get = await server.curl([blobUrl(digest)]);
    assert.equal(get.status, 200);
    assert.ok(get.bytes.equals(bytes), 'GET returns the uploaded bytes');
    assert.equal(get.headers.etag, `"${digest}"`);
    assert.match(get.headers['cache-control'], /immutable/);

    const h = await head(digest);
    assert.equal(h.status, 200);
    assert.equal(h.bytes.length, 0, 'HEAD has no body');
    assert.equal(h.headers['content-length'], String(bytes.length));
    assert.equal(h.headers.etag, `"${digest}"`);

    const part = await server.curl(['-r', '1000-1999', blobUrl(digest)]);
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-1999/${bytes.length}`);
    assert.ok(part.bytes.equals(bytes.subarray(1000, 2000)), 'Range returns the right slice');

    assert.deepEqual(await missing([digest]), []);
  });

  it('a wrong digest: 400 DIGEST_MISMATCH and nothing is kept', async () => {
    const file = join(dir, 'mismatch.bin');
    writeFileSync(file, randomBytes(4096));
    const other = join(dir, 'other.bin');
    writeFileSync(other, randomBytes(4096));
    const wrong = await sha256sum(other);

    const res = await server.curl(['-T', file, blobUrl(wrong)]);
    assert.equal(res.status, 400, res.body);
    assert.equal(res.json.error.code, 'DIGEST_MISMATCH');
    assert.equal((await head(wrong)).status, 404);
    assert.equal((await server.curl([blobUrl(wrong)])).json.error.code, 'BLOB_UNKNOWN');
    assert.deepEqual(await missing([wrong]), [wrong]);
  });

  it('a body above the single-request limit: 413 BLOB_TOO_LARGE, and the server stays healthy', async () => {
    const file = join(dir, 'too-large.bin');
    await run('truncate', ['-s', String(96 * MiB), file]); // sparse: costs no disk
    const digest = `sha256:${'0'.repeat(64)}`;
    const res = await server.curl(['-T', file, blobUrl(digest)]);
    rmSync(file);
    assert.equal(res.status, 413, res.body);
    assert.equal(res.json.error.code, 'BLOB_TOO_LARGE');
    assert.match(res.json.error.message, /uploads/);
    await expectHealthy();
    assert.equal((await head(digest)).status, 404);
  });
});

describe('multipart uploads', () => {
  it(
    '300 MiB in parts, one part re-sent, completes and downloads byte-identical',
    async () => {
      const size = 300 * MiB;
      const file = join(dir, 'big.bin');
      await randomFile(file, size);
      const digest = await sha256sum(file);
      const uploads = `${server.url}/v1/uploads`;

      const start = await server.curl(['-X', 'POST', ...json({ digest, size }), uploads]);
      assert.equal(start.status, 201, start.body);
      const { uploadId, partSize, partCount } = start.json;
      assert.match(uploadId, /^upl_/);
      assert.equal(partCount, Math.ceil(size / partSize));
      assert.ok(partCount > 1, `300 MiB needs several parts (partSize ${partSize})`);

      const sendPart = async (n) => {
        const offset = (n - 1) * partSize;
        const length = Math.min(partSize, size - offset);
        const partFile = join(dir, `part-${n}.bin`);
        await slice(file, partFile, offset, length);
        try {
          const res = await server.curl(['-T', partFile, `${uploads}/${uploadId}/parts/${n}`]);
          assert.equal(res.status, 200, `part ${n}: ${res.body}`);
          assert.deepEqual(res.json, { part: n, size: length });
        } finally {
          rmSync(partFile, { force: true });
        }
      };
      for (let n = 1; n <= partCount; n++) await sendPart(n);

      const progress = await server.curl([`${uploads}/${uploadId}`]);
      assert.equal(progress.status, 200, progress.body);
      assert.equal(progress.json.digest, digest);
      assert.equal(progress.json.size, size);
      assert.deepEqual(
        progress.json.parts,
        Array.from({ length: partCount }, (_, i) => i + 1),
      );

      await sendPart(2); // re-sending a part is allowed (a client that lost the answer retries)

      // Not visible before complete.
      assert.equal((await head(digest)).status, 404);

      const done = await server.curl(['-X', 'POST', `${uploads}/${uploadId}/complete`]);
      assert.equal(done.status, 201, done.body);
      assert.deepEqual(done.json, { digest, size });

      const h = await head(digest);
      assert.equal(h.status, 200);
      assert.equal(h.headers['content-length'], String(size));

      const again = await server.curl(['-X', 'POST', ...json({ digest, size }), uploads]);
      assert.equal(again.status, 200, again.body);
      assert.deepEqual(again.json, { digest, size, exists: true });

      rmSync(file); // its digest is all we need now; keeps the disk peak lower
      const out = join(dir, 'big.download');
      const get = await server.curl(['-o', out, blobUrl(digest)]);
      assert.equal(get.status, 200);
      assert.equal(get.headers['content-length'], String(size));
      assert.equal(await sha256sum(out), digest, 'the download is byte-identical');
      rmSync(out);
    },
    T_BIG,
  );

  it('bytes that do not match the declared digest: complete answers 400 DIGEST_MISMATCH', async () => {
    const partSize = 5 * MiB;
    const size = partSize + 1234;
    const declared = join(dir, 'declared.bin');
    await randomFile(declared, size);
    const digest = await sha256sum(declared);
    const actual = join(dir, 'actual.bin');
    await randomFile(actual, size);
    const uploads = `${server.url}/v1/uploads`;

    const start = await server.curl(['-X', 'POST', ...json({ digest, size, partSize }), uploads]);
    assert.equal(start.status, 201, start.body);
    const { uploadId, partCount } = start.json;
    assert.equal(partCount, 2);

    const p1 = join(dir, 'bad-1.bin');
    const p2 = join(dir, 'bad-2.bin');
    await slice(actual, p1, 0, partSize);
    await slice(actual, p2, partSize, size - partSize);
    for (const [n, part] of [
      [1, p1],
      [2, p2],
    ]) {
      const res = await server.curl(['-T', part, `${uploads}/${uploadId}/parts/${n}`]);
      assert.equal(res.status, 200, `part ${n}: ${res.body}`);
    }

    const done = await server.curl(['-X', 'POST', `${uploads}/${uploadId}/complete`]);
    assert.equal(done.status, 400, done.body);
    assert.equal(done.json.error.code, 'DIGEST_MISMATCH');
    assert.equal((await head(digest)).status, 404);
    assert.deepEqual(await missing([digest]), [digest]);
    assert.equal((await server.curl([`${uploads}/${uploadId}`])).status, 404, 'the session is gone');
  });
});

describe('auth', () => {
  it('PUT without a token: 401; with a read-only token: 403; reads work with it', async () => {
    const file = join(dir, 'auth.bin');
    writeFileSync(file, randomBytes(2048));
    const digest = await sha256sum(file);

    const anon = await server.curl(['-T', file, blobUrl(digest)], { token: null });
    assert.equal(anon.status, 401, anon.body);
    assert.equal(anon.json.error.code, 'UNAUTHORIZED');
    assert.match(anon.headers['www-authenticate'] ?? '', /^Bearer/);

    const bogus = await server.curl(['-T', file, blobUrl(digest)], { token: 'cairn_not-a-token' });
    assert.equal(bogus.status, 401, bogus.body);

    const created = await server.curl([
      '-X',
      'POST',
      ...json({ name: 'e2e-reader', scopes: ['read'] }),
      `${server.url}/v1/tokens`,
    ]);
    assert.equal(created.status, 201, created.body);
    const reader = created.json.token;
    assert.ok(reader);

    const denied = await server.curl(['-T', file, blobUrl(digest)], { token: reader });
    assert.equal(denied.status, 403, denied.body);
    assert.equal(denied.json.error.code, 'DENIED');
    assert.equal((await head(digest)).status, 404, 'nothing was stored');

    const put = await server.curl(['-T', file, blobUrl(digest)]);
    assert.equal(put.status, 201, put.body);
    const read = await server.curl([blobUrl(digest)], { token: reader });
    assert.equal(read.status, 200);
    assert.ok(read.bytes.equals(readFileSync(file)));
  });
});
