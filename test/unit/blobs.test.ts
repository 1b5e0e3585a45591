import { describe, expect, it } from 'vitest';
import { call, digestOf, errorCode, putBlob, randomBytes, testEnv } from '../helpers/http';

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
