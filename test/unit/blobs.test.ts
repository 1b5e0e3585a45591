import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { ADMIN, call, digestOf, errorCode, putBlob, randomBytes, testEnv } from '../helpers/http';

const hex = (d: string) => d.slice(7);

describe('PUT /v1/blobs/:digest', () => {
  it('stores bytes whose SHA-256 matches → 201 with digest and size', async () => {
    const bytes = randomBytes(1000);
    const { digest, res } = await putBlob(bytes);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ digest, size: 1000 });
    const object = await testEnv.BLOBS.get(`blobs/sha256/${hex(digest)}`);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
  });

  it('re-uploading the same bytes → 200, nothing rewritten', async () => {
    const bytes = randomBytes(64);
    const first = await putBlob(bytes);
    const before = await testEnv.BLOBS.head(`blobs/sha256/${hex(first.digest)}`);
    const again = await putBlob(bytes);
    expect(again.res.status).toBe(200);
    expect(await again.res.json()).toEqual({ digest: first.digest, size: 64 });
    const after = await testEnv.BLOBS.head(`blobs/sha256/${hex(first.digest)}`);
    expect(after!.uploaded.getTime()).toBe(before!.uploaded.getTime());
  });

  it('a wrong digest → 400 DIGEST_MISMATCH and nothing is stored', async () => {
    const claimed = await digestOf(randomBytes(32));
    const res = await call(`/v1/blobs/${claimed}`, { method: 'PUT', body: randomBytes(32) });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('DIGEST_MISMATCH');
    expect(await testEnv.BLOBS.head(`blobs/sha256/${hex(claimed)}`)).toBeNull();
    expect((await call(`/v1/blobs/${claimed}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('a malformed digest → 400 DIGEST_INVALID', async () => {
    for (const bad of ['sha256:abc', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, 'x'.repeat(71)]) {
      const res = await call(`/v1/blobs/${bad}`, { method: 'PUT', body: 'hello' });
      expect(res.status, bad).toBe(400);
      expect(await errorCode(res)).toBe('DIGEST_INVALID');
    }
  });

  it('the empty blob can be stored', async () => {
    const { digest, res } = await putBlob(new Uint8Array(0));
    expect([200, 201]).toContain(res.status);
    const get = await call(`/v1/blobs/${digest}`);
    expect(get.status).toBe(200);
    expect((await get.arrayBuffer()).byteLength).toBe(0);
  });

  it('racing identical uploads all succeed, with one object and one row', async () => {
    const bytes = randomBytes(4096);
    const digest = await digestOf(bytes);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    const listed = await testEnv.BLOBS.list({ prefix: `blobs/sha256/${hex(digest)}` });
    expect(listed.objects).toHaveLength(1);
    const rows = await testEnv.DB.prepare('select count(*) as n from blobs where digest = ?')
      .bind(digest)
      .first();
    expect(rows?.n).toBe(1);
  });
});

describe('PUT /v1/blobs/:digest body rules', () => {
  it('without Content-Length (chunked) → 411 LENGTH_REQUIRED, nothing stored', async () => {
    const bytes = randomBytes(10);
    const digest = await digestOf(bytes);
    const body = new ReadableStream({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    });
    const res = await call(`/v1/blobs/${digest}`, { method: 'PUT', body });
    expect(res.status).toBe(411);
    expect(await errorCode(res)).toBe('LENGTH_REQUIRED');
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('above the single-request limit → 413 BLOB_TOO_LARGE pointing at uploads', async () => {
    const app = createApp();
    const bytes = randomBytes(2048);
    const digest = await digestOf(bytes);
    const res = await app.request(
      `/v1/blobs/${digest}`,
      { method: 'PUT', body: bytes, headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Length': '2048' } },
      { ...testEnv, MAX_SINGLE_UPLOAD_BYTES: '1024' },
    );
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
    expect(body.error.code).toBe('BLOB_TOO_LARGE');
    expect(body.error.message).toContain('/v1/uploads');
    expect(body.error.details).toEqual({ size: 2048, limit: 1024 });
  });

  it('re-uploading a stored digest with another length → 422 SIZE_MISMATCH (not a digest mismatch), stored bytes untouched', async () => {
    const { digest } = await putBlob(randomBytes(100));
    const res = await call(`/v1/blobs/${digest}`, { method: 'PUT', body: randomBytes(99) });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(body.error.code).toBe('SIZE_MISMATCH');
    expect(body.error.details).toEqual({ digest, storedSize: 100 });
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).headers.get('content-length')).toBe('100');
  });
});

describe('GET and HEAD /v1/blobs/:digest', () => {
  it('serves immutable bytes with ETag, Content-Type and Content-Length; HEAD has no body', async () => {
    const bytes = randomBytes(300);
    const { digest } = await putBlob(bytes);
    const res = await call(`/v1/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${digest}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe('300');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    const head = await call(`/v1/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('300');
    expect(await head.text()).toBe('');
  });

  it('a single Range → 206 with Content-Range; suffix and open ranges work', async () => {
    const bytes = randomBytes(1000);
    const { digest } = await putBlob(bytes);
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 10],
      ['bytes=990-', 990, 1000],
      ['bytes=-5', 995, 1000],
      ['bytes=500-5000', 500, 1000],
    ];
    for (const [range, from, to] of cases) {
      const res = await call(`/v1/blobs/${digest}`, { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${from}-${to - 1}/1000`);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes.subarray(from, to));
    }
  });

  it('an unsatisfiable Range → 416 with Content-Range: bytes */size', async () => {
    const { digest } = await putBlob(randomBytes(10));
    const res = await call(`/v1/blobs/${digest}`, { headers: { Range: 'bytes=10-20' } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */10');
    expect(await errorCode(res)).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('If-None-Match with the digest ETag → 304', async () => {
    const { digest } = await putBlob(randomBytes(10));
    const res = await call(`/v1/blobs/${digest}`, { headers: { 'If-None-Match': `"${digest}"` } });
    expect(res.status).toBe(304);
  });

  it('an unknown blob → 404 BLOB_UNKNOWN, never cached', async () => {
    const digest = await digestOf(randomBytes(10));
    const res = await call(`/v1/blobs/${digest}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await errorCode(res)).toBe('BLOB_UNKNOWN');
  });

  it('PUBLIC_READ lets anonymous clients read, never write', async () => {
    const app = createApp();
    const { digest } = await putBlob(randomBytes(10));
    const publicEnv = { ...testEnv, PUBLIC_READ: 'true' };
    expect((await app.request(`/v1/blobs/${digest}`, {}, publicEnv)).status).toBe(200);
    const bytes = randomBytes(10);
    const put = await app.request(
      `/v1/blobs/${await digestOf(bytes)}`,
      { method: 'PUT', body: bytes },
      publicEnv,
    );
    expect(put.status).toBe(401);
  });
});

describe('POST /v1/blobs/check', () => {
  it('lists the missing digests, once each, in request order', async () => {
    const { digest: stored } = await putBlob(randomBytes(10));
    const a = await digestOf(randomBytes(10));
    const b = await digestOf(randomBytes(10));
    const res = await call('/v1/blobs/check', { method: 'POST', json: { digests: [a, stored, b, a] } });
    expect(await res.json()).toEqual({ missing: [a, b] });
  });

  it('handles 1000 digests (chunked under D1 parameter limits) and refuses 1001', async () => {
    const many = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => digestOf(`blob ${i} ${Math.random()}`)),
    );
    const res = await call('/v1/blobs/check', { method: 'POST', json: { digests: many } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { missing: string[] }).missing).toHaveLength(1000);
    const tooMany = await call('/v1/blobs/check', { method: 'POST', json: { digests: [...many, many[0]] } });
    expect(tooMany.status).toBe(400);
  });

  it('a malformed digest in the list → 400 DIGEST_INVALID naming its index', async () => {
    const res = await call('/v1/blobs/check', { method: 'POST', json: { digests: ['sha256:zz'] } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).toBe('DIGEST_INVALID');
    expect(body.error.details.issues[0]?.path).toBe('digests.0');
  });
});
