/**
 * Chunked blobs end to end in workerd (real D1 and R2): packs in, a recipe verified and
 * committed, the blob read back whole and by range through every reader's seam; and every lie a
 * recipe can tell refused with nothing kept.
 */
import { describe, expect, it } from 'vitest';
import { cut, known, postPack, pushChunked, putRecipe, recipeOf } from '../helpers/chunk-packs';
import { call, digestOf, errorCode, randomBytes, testEnv } from '../helpers/http';

const KiB = 1024;

async function blobRowCount(digest: string) {
  const row = await testEnv.DB.prepare(
    'SELECT (SELECT count(*) FROM blobs WHERE digest = ?1) + (SELECT count(*) FROM recipes WHERE digest = ?1) + (SELECT count(*) FROM recipe_chunks WHERE digest = ?1) AS n',
  )
    .bind(digest)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe('PUT /v1/blobs/{digest}/recipe', () => {
  it('commits a verified recipe: 201 with new/reused/verified bytes, then GET serves the exact bytes', async () => {
    const bytes = randomBytes(300 * KiB + 7);
    const { digest, last, chunks } = await pushChunked(bytes, [64 * KiB, 17 * KiB, 100 * KiB]);
    expect(last.status).toBe(201);
    expect(last.body).toEqual({
      digest,
      size: bytes.length,
      chunks: chunks.length,
      newBytes: bytes.length,
      reusedBytes: 0,
      verifiedBytes: bytes.length,
    });
    const res = await call(`/v1/blobs/${digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('etag')).toBe(`"${digest}"`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    const head = await call(`/v1/blobs/${digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
  });

  it('a second commit of the same digest answers 200 and rewrites nothing', async () => {
    const bytes = randomBytes(90 * KiB);
    const first = await pushChunked(bytes, [30 * KiB]);
    expect(first.last.status).toBe(201);
    const again = await putRecipe(first.digest, recipeOf(first.chunks));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ digest: first.digest, size: bytes.length });
  });

  it('a range across chunk edges answers 206 with exactly those bytes', async () => {
    const bytes = randomBytes(200 * KiB);
    const { digest } = await pushChunked(bytes, [10 * KiB, 33 * KiB]);
    const res = await call(`/v1/blobs/${digest}`, { headers: { range: 'bytes=9000-50000' } });
    expect(res.status).toBe(206);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes.subarray(9000, 50001));
  });

  it('names the missing chunks: 422 CHUNK_UNKNOWN, nothing committed', async () => {
    const bytes = randomBytes(100 * KiB);
    const digest = await digestOf(bytes);
    const chunks = await cut(bytes, [25 * KiB]);
    expect((await postPack(chunks.slice(0, 2))).status).toBe(201);
    const res = await putRecipe(digest, recipeOf(chunks));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { missing: string[] } } };
    expect(body.error.code).toBe('CHUNK_UNKNOWN');
    expect(body.error.details.missing).toEqual(chunks.slice(2).map((c) => c.hex));
    expect(await blobRowCount(digest)).toBe(0);
    expect((await known(chunks.map((c) => c.hex)).then((r) => r.json())) as unknown).toEqual({
      known: chunks.slice(0, 2).map((c) => c.hex),
    });
  });

  it('chunks in the wrong order hash to another digest: 422 DIGEST_MISMATCH, nothing kept', async () => {
    const bytes = randomBytes(100 * KiB);
    const digest = await digestOf(bytes);
    const chunks = await cut(bytes, [25 * KiB]);
    expect((await postPack(chunks)).status).toBe(201);
    const swapped = [chunks[1]!, chunks[0]!, ...chunks.slice(2)];
    const res = await putRecipe(digest, recipeOf(swapped));
    expect(res.status).toBe(422);
    expect(await errorCode(res)).toBe('DIGEST_MISMATCH');
    expect(await blobRowCount(digest)).toBe(0);
    expect((await call(`/v1/blobs/${digest}`)).status).toBe(404);
  });
});
