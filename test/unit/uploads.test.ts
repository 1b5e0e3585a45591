import { describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/client';
import { blobs, uploads } from '../../src/db/schema';
import { expireStaleUploads } from '../../src/services/uploads';
import { call, digestOf, errorCode, randomBytes, testDeps, testEnv } from '../helpers/http';
import { complete, MiB, PART, putPart, type Started, start } from '../helpers/uploads';

const sendPart = putPart;

async function sendAll(up: Started, bytes: Uint8Array) {
  for (let n = 1; n <= up.partCount; n++) {
    const res = await sendPart(up.uploadId, n, bytes.subarray((n - 1) * up.partSize, n * up.partSize));
    expect(res.status, `part ${n}`).toBe(200);
  }
}

describe('multipart uploads', () => {
  it('a blob sent in parts is verified on completion and served byte-identical', async () => {
    const bytes = randomBytes(2 * PART + 1234);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    expect(up).toMatchObject({ partSize: PART, partCount: 3, parts: [] });

    // Before completion the blob is invisible.
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    await sendAll(up, bytes);
    const progress = await (await call(`/v1/uploads/${up.uploadId}`)).json();
    expect(progress).toMatchObject({ digest, size: bytes.length, parts: [1, 2, 3] });

    const done = await complete(up.uploadId);
    expect(done.status).toBe(201);
    expect(await done.json()).toEqual({ digest, size: bytes.length });
    const get = await call(`/v1/blobs/${digest}`);
    expect(await digestOf(new Uint8Array(await get.arrayBuffer()))).toBe(digest);
    // The session is gone once the blob is registered.
    expect(await errorCode(await call(`/v1/uploads/${up.uploadId}`))).toBe('UPLOAD_UNKNOWN');
  });

  it('a part can be re-sent, and the last one wins', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendPart(up.uploadId, 1, randomBytes(PART)); // wrong bytes first
    await sendAll(up, bytes); // then the right ones
    expect((await complete(up.uploadId)).status).toBe(201);
  });

  it('starting the same digest again resumes the open session with its parts', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendPart(up.uploadId, 1, bytes.subarray(0, PART));
    const again = await call('/v1/uploads', {
      method: 'POST',
      json: { digest, size: bytes.length, partSize: PART },
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ uploadId: up.uploadId, parts: [1], resumed: true });
  });

  it('starting an upload of a stored blob → 200 exists', async () => {
    const bytes = randomBytes(100);
    const digest = await digestOf(bytes);
    await call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes });
    const res = await call('/v1/uploads', { method: 'POST', json: { digest, size: 100 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ digest, size: 100, exists: true });
  });

  it('assembled bytes that do not match the digest → 400 DIGEST_MISMATCH, object removed', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(randomBytes(PART + 10));
    const up = await start(digest, bytes.length);
    await sendAll(up, bytes);
    const res = await complete(up.uploadId);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('DIGEST_MISMATCH');
    expect(await testEnv.BLOBS.head(`blobs/sha256/${digest.slice(7)}`)).toBeNull();
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('completing with missing parts → 400 UPLOAD_INCOMPLETE listing them; the session stays usable', async () => {
    const bytes = randomBytes(2 * PART + 5);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendPart(up.uploadId, 2, bytes.subarray(PART, 2 * PART));
    const res = await complete(up.uploadId);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { missing: number[] } } };
    expect(body.error.code).toBe('UPLOAD_INCOMPLETE');
    expect(body.error.details.missing).toEqual([1, 3]);
    await sendAll(up, bytes);
    expect((await complete(up.uploadId)).status).toBe(201);
  });

  it('bad part numbers and wrong part sizes are refused', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    for (const n of ['0', '-1', 'abc', '1.5', '10001']) {
      const res = await call(`/v1/uploads/${up.uploadId}/parts/${n}`, { method: 'PUT', body: 'x' });
      expect(res.status, n).toBe(400);
      expect(await errorCode(res)).toBe('BAD_REQUEST');
    }
    const past = await sendPart(up.uploadId, 3, randomBytes(10));
    expect(await errorCode(past)).toBe('PART_INVALID');
    const short = await sendPart(up.uploadId, 1, randomBytes(PART - 1));
    expect(short.status).toBe(400);
    expect(await errorCode(short)).toBe('SIZE_INVALID');
    const lastWrong = await sendPart(up.uploadId, 2, randomBytes(11));
    expect(await errorCode(lastWrong)).toBe('SIZE_INVALID');
  });

  it('a part without Content-Length → 411, above the request limit → 413', async () => {
    const bytes = randomBytes(PART + 10);
    const up = await start(await digestOf(bytes), bytes.length);
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        controller.close();
      },
    });
    const res = await call(`/v1/uploads/${up.uploadId}/parts/2`, { method: 'PUT', body: chunked });
    expect(res.status).toBe(411);
    expect(await errorCode(res)).toBe('LENGTH_REQUIRED');
  });

  it('invalid start requests are refused with the right code', async () => {
    const digest = await digestOf(randomBytes(8));
    const cases: [unknown, string][] = [
      [{ digest: 'sha256:nope', size: 10 }, 'DIGEST_INVALID'],
      [{ digest, size: 0 }, 'BAD_REQUEST'],
      [{ digest, size: -5 }, 'BAD_REQUEST'],
      [{ digest, size: 1.5 }, 'BAD_REQUEST'],
      [{ digest }, 'BAD_REQUEST'],
      [{ digest, size: 10, partSize: 1024 }, 'BAD_REQUEST'],
      [{ digest, size: 10, partSize: 500 * MiB }, 'SIZE_INVALID'],
      [{ digest, size: 10_000 * 95 * MiB + 1 }, 'BLOB_TOO_LARGE'],
    ];
    for (const [json, code] of cases) {
      const res = await call('/v1/uploads', { method: 'POST', json });
      expect(await errorCode(res), JSON.stringify(json)).toBe(code);
    }
    const notJson = await call('/v1/uploads', {
      method: 'POST',
      body: '{"digest":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(await errorCode(notJson)).toBe('BAD_REQUEST');
  });

  it('a second plan for a digest with an open session → 409 UPLOAD_IN_PROGRESS', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    await start(digest, bytes.length);
    const other = await call('/v1/uploads', { method: 'POST', json: { digest, size: bytes.length + 1 } });
    expect(other.status).toBe(409);
    expect(await errorCode(other)).toBe('UPLOAD_IN_PROGRESS');
  });

  it('DELETE aborts: parts and progress are gone, unknown ids → 404', async () => {
    const bytes = randomBytes(PART + 10);
    const up = await start(await digestOf(bytes), bytes.length);
    await sendPart(up.uploadId, 1, bytes.subarray(0, PART));
    expect((await call(`/v1/uploads/${up.uploadId}`, { method: 'DELETE' })).status).toBe(204);
    expect(await errorCode(await call(`/v1/uploads/${up.uploadId}`))).toBe('UPLOAD_UNKNOWN');
    expect(await errorCode(await sendPart(up.uploadId, 1, bytes.subarray(0, PART)))).toBe('UPLOAD_UNKNOWN');
    expect((await call(`/v1/uploads/${up.uploadId}`, { method: 'DELETE' })).status).toBe(404);
    expect(await errorCode(await call('/v1/uploads/not-an-id'))).toBe('BAD_REQUEST');
  });

  it('an expired session answers 410 UPLOAD_EXPIRED and is cleaned up; the cron sweep drops the rest', async () => {
    const db = createDb(testEnv.DB);
    const a = await start(await digestOf(randomBytes(8)), PART + 1);
    const b = await start(await digestOf(randomBytes(8)), PART + 1);
    await testEnv.DB.prepare('update uploads set expires_at = 1 where id in (?, ?)')
      .bind(a.uploadId, b.uploadId)
      .run();

    const res = await sendPart(a.uploadId, 2, randomBytes(1));
    expect(res.status).toBe(410);
    expect(await errorCode(res)).toBe('UPLOAD_EXPIRED');
    expect(await errorCode(await call(`/v1/uploads/${a.uploadId}`))).toBe('UPLOAD_UNKNOWN');

    expect(await expireStaleUploads(testDeps())).toBeGreaterThanOrEqual(1);
    const left = await db.select().from(uploads);
    expect(left.find((u) => u.id === b.uploadId)).toBeUndefined();
  });

  it('completing twice at once: one request assembles, the other is refused or sees the result', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendAll(up, bytes);
    const [r1, r2] = await Promise.all([complete(up.uploadId), complete(up.uploadId)]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses[0]).toBe(201);
    expect([404, 409]).toContain(statuses[1]);
    const rows = await createDb(testEnv.DB).select().from(blobs);
    expect(rows.filter((r) => r.digest === digest)).toHaveLength(1);
  });

  it('while an assembly holds its lease, a PUT of the same digest cannot make the blob visible (409), then can', async () => {
    const bytes = randomBytes(64);
    const digest = await digestOf(bytes);
    const up = await start(digest, PART + 1);
    await testEnv.DB.prepare("update uploads set state = 'completing', lease_until = ? where id = ?")
      .bind(Date.now() + 60_000, up.uploadId)
      .run();
    const during = await call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes });
    expect(during.status).toBe(409);
    expect(await errorCode(during)).toBe('UPLOAD_IN_PROGRESS');
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);

    // The assembly fails and drops its session: the PUT now registers.
    await testEnv.DB.prepare('delete from uploads where id = ?').bind(up.uploadId).run();
    const after = await call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes });
    expect(after.status).toBe(201);
  });

  it('writes need the write scope', async () => {
    const res = await call('/v1/uploads', { method: 'POST', json: {}, token: null });
    expect(res.status).toBe(401);
  });
});
