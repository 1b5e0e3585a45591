/**
 * Chunked blobs end to end in workerd (real D1 and R2): packs in, a recipe verified and
 * committed, the blob read back whole and by range through every reader's seam; and every lie a
 * recipe can tell refused with nothing kept.
 */
import { describe, expect, it } from 'vitest';
import {
  bodyBytes,
  chunkOf,
  cut,
  firstDifference,
  known,
  postPack,
  pushChunked,
  putRecipe,
  recipeOf,
} from '../helpers/chunk-packs';
import { call, createToken, digestOf, errorCode, putBlob, randomBytes, testEnv } from '../helpers/http';
import { publishOk, uniqueName } from '../helpers/registry';

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
    expect(firstDifference(await bodyBytes(res), bytes)).toBe(-1);
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
    expect(firstDifference(await bodyBytes(res), bytes.subarray(9000, 50001))).toBe(-1);
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

  it('lengths that do not add up to size, or a chunk given another length than stored → 400 RECIPE_INVALID', async () => {
    const bytes = randomBytes(60 * KiB);
    const digest = await digestOf(bytes);
    const chunks = await cut(bytes, [20 * KiB]);
    expect((await postPack(chunks)).status).toBe(201);
    const recipe = recipeOf(chunks);
    const short = await putRecipe(digest, { ...recipe, size: recipe.size - 1 });
    expect(short.status).toBe(400);
    expect(await errorCode(short)).toBe('RECIPE_INVALID');
    // Overlapping chunks: the first claims to be shorter, the second longer; the sum still matches.
    const overlapping = {
      size: recipe.size,
      chunks: [
        [chunks[0]!.hex, chunks[0]!.length - 100],
        [chunks[1]!.hex, chunks[1]!.length + 100],
        [chunks[2]!.hex, chunks[2]!.length],
      ],
    };
    const res = await putRecipe(digest, overlapping);
    expect(res.status).toBe(400);
    const error = ((await res.json()) as { error: { code: string; details: unknown } }).error;
    expect(error).toMatchObject({
      code: 'RECIPE_INVALID',
      details: { index: 0, storedLength: chunks[0]!.length },
    });
    expect(await blobRowCount(digest)).toBe(0);
  });

  it('malformed recipes → 400: no chunks, a bad chunk id, a zero or oversized length, extra fields', async () => {
    const digest = await digestOf(randomBytes(8));
    const hex = 'a'.repeat(64);
    for (const body of [
      { size: 1, chunks: [] },
      { size: 1, chunks: [['A'.repeat(64), 1]] },
      { size: 1, chunks: [[hex.slice(1), 1]] },
      { size: 0, chunks: [[hex, 0]] },
      { size: 2 * 1024 * 1024, chunks: [[hex, 2 * 1024 * 1024]] },
      { size: 1, chunks: [[hex, 1]], extra: true },
      { size: 1, chunks: [[hex, 1, 0]] },
    ]) {
      const res = await putRecipe(digest, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const bad = await call('/v1/blobs/sha256:xyz/recipe', {
      method: 'PUT',
      json: { size: 1, chunks: [[hex, 1]] },
    });
    expect(await errorCode(bad)).toBe('DIGEST_INVALID');
  });

  it('a repeated chunk is legitimate (a file that repeats itself) and its bytes count once as new', async () => {
    const piece = randomBytes(20 * KiB);
    const tail = randomBytes(5 * KiB);
    const bytes = new Uint8Array([...piece, ...piece, ...tail]);
    const digest = await digestOf(bytes);
    const [a, b] = await Promise.all([cut(piece, [20 * KiB]), cut(tail, [5 * KiB])]);
    const chunks = [a[0]!, a[0]!, b[0]!];
    expect((await postPack(chunks)).status).toBe(201);
    const res = await putRecipe(digest, recipeOf(chunks));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ newBytes: 25 * KiB, reusedBytes: 20 * KiB });
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), bytes)).toBe(-1);
    // A lying duplicate (the same chunk where another belongs) hashes wrong.
    const liar = await putRecipe(await digestOf(new Uint8Array([...piece, ...tail, ...tail])), {
      size: bytes.length,
      chunks: [
        [a[0]!.hex, 20 * KiB],
        [a[0]!.hex, 20 * KiB],
        [b[0]!.hex, 5 * KiB],
      ],
    });
    expect(await errorCode(liar)).toBe('DIGEST_MISMATCH');
  });

  it('a recipe for a blob already stored whole answers 200 and writes no recipe', async () => {
    const bytes = randomBytes(40 * KiB);
    const { digest } = await putBlob(bytes);
    const chunks = await cut(bytes, [10 * KiB]);
    const res = await putRecipe(digest, recipeOf(chunks));
    expect(res.status).toBe(200);
    const row = await testEnv.DB.prepare('SELECT count(*) AS n FROM recipes WHERE digest = ?1')
      .bind(digest)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
    const size = await putRecipe(digest, { ...recipeOf(chunks), size: 1, chunks: [[chunks[0]!.hex, 1]] });
    expect(await errorCode(size)).toBe('SIZE_MISMATCH');
  });

  it('a read-only token cannot commit a recipe (403)', async () => {
    const reader = await createToken(['read']);
    const res = await putRecipe(
      await digestOf(randomBytes(4)),
      { size: 1, chunks: [['a'.repeat(64), 1]] },
      reader.token,
    );
    expect(res.status).toBe(403);
  });
});

describe('a recipe of many chunks', () => {
  it('40,000 chunks (a 2.5 GB file’s count, 16 bytes each) commit, read back whole and by range; a one-chunk append hashes only its tail', async () => {
    const bytes = randomBytes(40_000 * 16);
    const chunks = await cut(bytes, [16]);
    for (let i = 0; i < chunks.length; i += 4096) {
      expect((await postPack(chunks.slice(i, i + 4096))).status).toBe(201);
    }
    const digest = await digestOf(bytes);
    const first = await putRecipe(digest, recipeOf(chunks));
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({
      chunks: 40_000,
      newBytes: bytes.length,
      verifiedBytes: bytes.length,
    });
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), bytes)).toBe(-1);
    const range = await call(`/v1/blobs/${digest}`, { headers: { range: 'bytes=320001-321000' } });
    expect(range.status).toBe(206);
    expect(firstDifference(await bodyBytes(range), bytes.subarray(320_001, 321_001))).toBe(-1);

    // Appended: the checkpoint before the old last chunk lets the server hash only 32 bytes.
    const extra = await chunkOf(randomBytes(16));
    expect((await postPack([extra])).status).toBe(201);
    const appended = new Uint8Array(bytes.length + 16);
    appended.set(bytes);
    appended.set(extra.bytes, bytes.length);
    const again = await putRecipe(await digestOf(appended), recipeOf([...chunks, extra]));
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ chunks: 40_001, newBytes: 16, verifiedBytes: 32 });
  }, 120_000);
});

describe('stored vs logical size', () => {
  it('version files carry storedSize (whole: size; chunked: new bytes), the admin report counts packs', async () => {
    const base = randomBytes(64 * KiB);
    const first = await pushChunked(base, [16 * KiB]);
    const grown = new Uint8Array([...base, ...randomBytes(16 * KiB)]);
    const second = await pushChunked(grown, [16 * KiB]);
    expect(second.last.body).toMatchObject({ newBytes: 16 * KiB, reusedBytes: 64 * KiB });
    const whole = randomBytes(1000);
    const { digest: wholeDigest } = await putBlob(whole);
    const name = uniqueName('acme', 'stored');
    await publishOk(name, {
      kind: 'dataset',
      files: [
        { path: 'a.bin', digest: first.digest, size: base.length },
        { path: 'b.bin', digest: second.digest, size: grown.length },
        { path: 'c.bin', digest: wholeDigest, size: 1000 },
      ],
    });
    const detail = (await (await call(`/v1/artifacts/${name}/versions/1`)).json()) as {
      files: { path: string; storedSize: number; chunked: boolean }[];
      storedSize: number;
      size: number;
    };
    expect(detail.files.map((f) => [f.path, f.storedSize, f.chunked])).toEqual([
      ['a.bin', 64 * KiB, true],
      ['b.bin', 16 * KiB, true],
      ['c.bin', 1000, false],
    ]);
    expect(detail.storedSize).toBe(80 * KiB + 1000);
    expect(detail.size).toBe(144 * KiB + 1000);
    const page = await call(`/ui/artifacts/${name}/versions/1`);
    expect(await page.text()).toContain('new of');

    const report = (await (await call('/v1/admin/storage')).json()) as {
      logicalBytes: number;
      storedBytes: number;
      dedupRatio: number;
      blobs: { chunked: { count: number; bytes: number } };
      packs: { bytes: number; liveBytes: number; deadBytes: number };
    };
    expect(report.blobs.chunked.count).toBeGreaterThanOrEqual(2);
    expect(report.packs.liveBytes).toBeGreaterThanOrEqual(80 * KiB);
    expect(report.packs.deadBytes).toBe(report.packs.bytes - report.packs.liveBytes);
    expect(report.dedupRatio).toBeCloseTo(report.logicalBytes / report.storedBytes, 10);
    const reader = await createToken(['read', 'write']);
    expect((await call('/v1/admin/storage', { token: reader.token })).status).toBe(403);
  });
});
