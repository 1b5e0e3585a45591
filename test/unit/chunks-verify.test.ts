/**
 * Recipe verification cost: a request hashes at most its budget and answers 202 with its
 * progress saved (the same request, repeated, resumes where it stopped); a file that shares its
 * first chunks with a stored one resumes from the last checkpoint of that prefix and hashes only
 * what follows (`verifiedBytes` proves it). Small budget and checkpoint interval via vars.
 */
import { describe, expect, it } from 'vitest';
import {
  bodyBytes,
  cut,
  envWith,
  firstDifference,
  pushChunked,
  putRecipe,
  putRecipeUntilDone,
  recipeOf,
} from '../helpers/chunk-packs';
import { sendWith } from '../helpers/faults';
import { call, digestOf, randomBytes, testEnv } from '../helpers/http';

const KiB = 1024;
const send = sendWith(
  envWith({ RECIPE_HASH_BUDGET_BYTES: String(200 * KiB), CHUNK_CHECKPOINT_BYTES: String(64 * KiB) }),
);

describe('recipe verification across requests and shared prefixes', () => {
  it('a budget smaller than the file: 202 + Retry-After: 0 until done, each request hashing only new bytes', async () => {
    const bytes = randomBytes(1024 * KiB);
    const digest = await digestOf(bytes);
    const first = await pushChunked(bytes, [16 * KiB], undefined, send);
    const statuses = first.answers.map((a) => a.status);
    expect(statuses).toEqual([202, 202, 202, 201]);
    // Stops at the first 64 KiB checkpoint past 200 KiB: 256 KiB per request.
    expect(first.answers.map((a) => a.body.verifiedBytes)).toEqual([
      256 * KiB,
      256 * KiB,
      256 * KiB,
      256 * KiB,
    ]);
    expect(first.answers.slice(0, 3).map((a) => a.body.verifiedThrough)).toEqual([
      256 * KiB,
      512 * KiB,
      768 * KiB,
    ]);
    expect(first.last.body).toMatchObject({ digest, newBytes: bytes.length, reusedBytes: 0 });
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), bytes)).toBe(-1);
  });

  it('while verification is partial, the blob does not exist', async () => {
    const bytes = randomBytes(600 * KiB);
    const digest = await digestOf(bytes);
    const chunks = await cut(bytes, [16 * KiB]);
    const { postPack } = await import('../helpers/chunk-packs');
    expect((await postPack(chunks, undefined, send)).status).toBe(201);
    const res = await putRecipe(digest, recipeOf(chunks), undefined, send);
    expect(res.status).toBe(202);
    expect(res.headers.get('retry-after')).toBe('0');
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('an appended file resumes from the original’s tail checkpoint: verifiedBytes = its old last chunk + the new bytes', async () => {
    // 1 MiB + 3 chunks + 5000 bytes: the last 64 KiB checkpoint is at 1 MiB, the original's tail
    // checkpoint (before its last chunk) at 1 MiB + 48 KiB.
    const original = randomBytes(1072 * KiB + 5000);
    const a = await pushChunked(original, [16 * KiB]);
    expect(a.last.status).toBe(201);
    expect(a.last.body.verifiedBytes).toBe(original.length);
    // Appending changes the last chunk (a content-defined chunker re-cuts the end), nothing before it.
    const appended = new Uint8Array(original.length + 10 * KiB);
    appended.set(original);
    appended.set(randomBytes(10 * KiB), original.length);
    const b = await pushChunked(appended, [16 * KiB], undefined, send);
    expect(b.last.status).toBe(201);
    // Resumed from the original's tail checkpoint: only its old last chunk and the new bytes hashed.
    expect(b.last.body.verifiedBytes).toBe(5000 + 10 * KiB);
    expect(b.last.body.reusedBytes).toBe(1072 * KiB);
    expect(b.last.body.newBytes).toBe(5000 + 10 * KiB);
    const got = await call(`/v1/blobs/${b.digest}`);
    expect(firstDifference(await bodyBytes(got), appended)).toBe(-1);
  });

  it('a resumed verification that ends on a wrong digest keeps nothing, and drops its checkpoints', async () => {
    const bytes = randomBytes(512 * KiB);
    const chunks = await cut(bytes, [16 * KiB]);
    const { postPack } = await import('../helpers/chunk-packs');
    expect((await postPack(chunks, undefined, send)).status).toBe(201);
    const wrong = await digestOf(randomBytes(32));
    const answers = await putRecipeUntilDone(wrong, recipeOf(chunks), undefined, send);
    expect(answers.map((a) => a.status)).toEqual([202, 422]);
    const left = await testEnv.DB.prepare(
      'SELECT (SELECT count(*) FROM chunk_checkpoints WHERE digest = ?1) + (SELECT count(*) FROM blobs WHERE digest = ?1) AS n',
    )
      .bind(wrong)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    // Its checkpoints gone, the same recipe starts over from byte 0.
    const again = await putRecipe(wrong, recipeOf(chunks), undefined, send);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { verifiedThrough: number }).verifiedThrough).toBe(256 * KiB);
  });

  it('small chunks (many boundaries between planned checkpoints): an append still resumes from the tail', async () => {
    const original = randomBytes(2000 * KiB);
    const a = await pushChunked(original, [KiB]);
    expect(a.last.status).toBe(201);
    const appended = new Uint8Array([...original, ...randomBytes(KiB)]);
    // The default 8 MiB interval plans no checkpoint in a 2 MiB file: only the tail can be found,
    // 1,999 boundaries in.
    const b = await pushChunked(appended, [KiB]);
    expect(b.last.body.verifiedBytes).toBe(2 * KiB);
  });
});
