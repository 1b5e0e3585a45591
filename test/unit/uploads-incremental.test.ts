/**
 * Incremental hashing of multipart uploads (services/uploads.ts, "The fast path"): parts sent in
 * order are hashed as they stream through, and `complete` then verifies from the saved state
 * before assembling. Which path `complete` takes is observed through the session's D1 row before
 * completion, and through what happens at the blob's R2 key; never through timing.
 */
import { describe, expect, it } from 'vitest';
import { ResumableSha256 } from '../../src/lib/resumable-sha256';
import { call, digestOf, errorCode, randomBytes, testEnv } from '../helpers/http';
import { complete, MiB, PART, putPart, type Started, start } from '../helpers/uploads';

const slice = (bytes: Uint8Array, n: number) => bytes.subarray((n - 1) * PART, n * PART);

async function sendPart(id: string, n: number, bytes: Uint8Array) {
  const res = await putPart(id, n, bytes);
  expect(res.status, `part ${n}: ${res.status === 200 ? '' : await res.clone().text()}`).toBe(200);
  await res.arrayBuffer();
}

async function sendParts(up: Started, bytes: Uint8Array, order: number[]) {
  for (const n of order) await sendPart(up.uploadId, n, slice(bytes, n));
}

/** The session's incremental-hashing columns, and which part rows are marked hashed. */
async function hashing(id: string) {
  const row = await testEnv.DB.prepare(
    'select hashed_through as hashedThrough, hash_state as hashState, hash_claim as hashClaim from uploads where id = ?',
  )
    .bind(id)
    .first<{ hashedThrough: number; hashState: string | null; hashClaim: number | null }>();
  const parts = await testEnv.DB.prepare(
    'select part_number as n, hashed from upload_parts where upload_id = ? order by part_number',
  )
    .bind(id)
    .all<{ n: number; hashed: number }>();
  return { ...row!, hashedParts: parts.results.filter((p) => p.hashed === 1).map((p) => p.n) };
}

const keyOf = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;

async function expectServed(digest: string, bytes: Uint8Array) {
  const get = await call(`/v1/blobs/${digest}`);
  expect(get.status).toBe(200);
  const got = new Uint8Array(await get.arrayBuffer());
  expect(got.length).toBe(bytes.length);
  expect(got.every((b, i) => b === bytes[i])).toBe(true);
}

describe('multipart uploads: incremental hashing of in-order parts', () => {
  it('parts sent in order are hashed as they arrive; complete verifies from the state, bytes served identical', async () => {
    const bytes = randomBytes(2 * PART + 1234);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: 0, hashState: null, hashClaim: null });

    await sendParts(up, bytes, [1]);
    const afterOne = await hashing(up.uploadId);
    expect(afterOne).toMatchObject({ hashedThrough: 1, hashClaim: null, hashedParts: [1] });
    // The state is the SHA-256 state after exactly part 1's bytes.
    const one = ResumableSha256.restore(afterOne.hashState!);
    expect(one!.digestHex()).toBe((await digestOf(slice(bytes, 1))).slice(7));

    await sendParts(up, bytes, [2, 3]);
    const before = await hashing(up.uploadId);
    expect(before).toMatchObject({ hashedThrough: 3, hashClaim: null, hashedParts: [1, 2, 3] });
    expect(ResumableSha256.restore(before.hashState!)!.digestHex()).toBe(digest.slice(7));

    const done = await complete(up.uploadId);
    expect(done.status).toBe(201);
    expect(await done.json()).toEqual({ digest, size: bytes.length });
    await expectServed(digest, bytes);
    expect(await errorCode(await call(`/v1/uploads/${up.uploadId}`))).toBe('UPLOAD_UNKNOWN');
  });

  it('complete trusts the state alone on the fast path: a state swapped for other bytes → DIGEST_MISMATCH', async () => {
    // White-box proof that the fast path does not re-read R2: the parts hold the right bytes, but
    // the D1 state is replaced by one of other bytes, and complete believes the state.
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2]);
    const other = ResumableSha256.create()
      .update(randomBytes(PART + 10))
      .serialize();
    await testEnv.DB.prepare('update uploads set hash_state = ? where id = ?').bind(other, up.uploadId).run();
    const res = await complete(up.uploadId);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('DIGEST_MISMATCH');
    expect(await testEnv.BLOBS.head(keyOf(digest))).toBeNull();
  });

  it('wrong bytes sent in order → DIGEST_MISMATCH before assembly: the blob key is never written', async () => {
    const bytes = randomBytes(2 * PART + 7);
    const digest = await digestOf(randomBytes(2 * PART + 7));
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2, 3]);
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: 3, hashedParts: [1, 2, 3] });
    const res = await complete(up.uploadId);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('DIGEST_MISMATCH');
    expect(await testEnv.BLOBS.head(keyOf(digest))).toBeNull();
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    expect(await errorCode(await call(`/v1/uploads/${up.uploadId}`))).toBe('UPLOAD_UNKNOWN');
  });

  it('the fast path never touches the key: an object already there is left exactly as it was', async () => {
    // Re-hash-on-complete would assemble over it and then delete it; the fast path does neither.
    const bytes = randomBytes(PART + 3);
    const digest = await digestOf(randomBytes(PART + 3));
    const leftover = await testEnv.BLOBS.put(keyOf(digest), 'a leftover from elsewhere');
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2]);
    expect(await errorCode(await complete(up.uploadId))).toBe('DIGEST_MISMATCH');
    const still = await testEnv.BLOBS.head(keyOf(digest));
    expect(still?.etag).toBe(leftover!.etag);
    await testEnv.BLOBS.delete(keyOf(digest));
  });

  it('parts out of order void the state; complete re-hashes the assembly and still verifies', async () => {
    const bytes = randomBytes(2 * PART + 99);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [2, 1, 3]);
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: -1, hashState: null, hashedParts: [] });
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('out of order with wrong bytes → DIGEST_MISMATCH from the re-hash, object removed', async () => {
    const bytes = randomBytes(2 * PART + 5);
    const digest = await digestOf(randomBytes(2 * PART + 5));
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [3, 2, 1]);
    expect((await hashing(up.uploadId)).hashedThrough).toBe(-1);
    expect(await errorCode(await complete(up.uploadId))).toBe('DIGEST_MISMATCH');
    expect(await testEnv.BLOBS.head(keyOf(digest))).toBeNull();
  });

  it('a hashed part re-sent with other bytes voids the state: complete re-hashes and refuses', async () => {
    // The soundness case: had complete used the state (which covers the first bytes of part 1),
    // it would have registered an object whose bytes do not hash to the digest.
    const bytes = randomBytes(2 * PART + 1);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2, 3]);
    expect((await hashing(up.uploadId)).hashedThrough).toBe(3);
    await sendPart(up.uploadId, 1, randomBytes(PART));
    const after = await hashing(up.uploadId);
    expect(after).toMatchObject({ hashedThrough: -1, hashState: null });
    expect(after.hashedParts).not.toContain(1);
    expect(await errorCode(await complete(up.uploadId))).toBe('DIGEST_MISMATCH');
    expect(await testEnv.BLOBS.head(keyOf(digest))).toBeNull();
  });

  it('a hashed part re-sent with the same bytes falls back, and completes', async () => {
    const bytes = randomBytes(2 * PART + 1);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2, 2, 3]);
    expect((await hashing(up.uploadId)).hashedThrough).toBe(-1);
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('the same part sent twice at once: the state is void whichever wins, and the upload completes', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await Promise.all([sendPart(up.uploadId, 1, slice(bytes, 1)), sendPart(up.uploadId, 1, slice(bytes, 1))]);
    await sendPart(up.uploadId, 2, slice(bytes, 2));
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: -1, hashClaim: null });
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('a part whose hashing request died (claim left behind) voids the state when it is re-sent', async () => {
    const bytes = randomBytes(2 * PART + 1);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1]);
    await testEnv.DB.prepare('update uploads set hash_claim = 2 where id = ?').bind(up.uploadId).run();
    await sendParts(up, bytes, [2, 3]);
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: -1, hashClaim: null });
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('parts that span several claim probes (after 1, 2, 4, 8 MiB, …) are hashed whole', async () => {
    const size = 2 * 9 * MiB + 5;
    const bytes = randomBytes(size);
    const digest = await digestOf(bytes);
    const res = await call('/v1/uploads', { method: 'POST', json: { digest, size, partSize: 9 * MiB } });
    const up = (await res.json()) as Started;
    for (let n = 1; n <= 3; n++) {
      await sendPart(up.uploadId, n, bytes.subarray((n - 1) * 9 * MiB, n * 9 * MiB));
    }
    const before = await hashing(up.uploadId);
    expect(before).toMatchObject({ hashedThrough: 3, hashedParts: [1, 2, 3] });
    expect(ResumableSha256.restore(before.hashState!)!.digestHex()).toBe(digest.slice(7));
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('a part whose claim is voided while it streams is stored but never marked hashed', async () => {
    // A part spanning several claim probes, streamed in 1 MiB chunks; after 9 MiB another
    // write's announcement is simulated (the state voided), then the rest follows (the claimant
    // stops hashing at a later probe and only streams the rest).
    const size = 33 * MiB;
    const bytes = randomBytes(size);
    const digest = await digestOf(bytes);
    const res = await call('/v1/uploads', { method: 'POST', json: { digest, size, partSize: size } });
    const up = (await res.json()) as Started;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 9 * MiB) {
          await testEnv.DB.prepare(
            'update uploads set hashed_through = -1, hash_state = null, hash_claim = null where id = ?',
          )
            .bind(up.uploadId)
            .run();
        }
        if (sent >= size) return controller.close();
        controller.enqueue(bytes.slice(sent, sent + MiB));
        sent += MiB;
      },
    });
    const part = await call(`/v1/uploads/${up.uploadId}/parts/1`, {
      method: 'PUT',
      body,
      headers: { 'Content-Length': String(size) },
    });
    expect(part.status, await part.clone().text()).toBe(200);
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: -1, hashClaim: null, hashedParts: [] });
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('a resumed session continues the state where it stopped', async () => {
    const bytes = randomBytes(3 * PART + 77);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2]);
    // The client restarts: starting the same digest again hands back the session and its parts.
    const again = await call('/v1/uploads', {
      method: 'POST',
      json: { digest, size: bytes.length, partSize: PART },
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ uploadId: up.uploadId, parts: [1, 2], resumed: true });
    expect((await hashing(up.uploadId)).hashedThrough).toBe(2);
    await sendParts(up, bytes, [3, 4]);
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: 4, hashedParts: [1, 2, 3, 4] });
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('a failed completion (parts missing) keeps the state; the parts that follow continue it', async () => {
    const bytes = randomBytes(2 * PART + 3);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1]);
    expect(await errorCode(await complete(up.uploadId))).toBe('UPLOAD_INCOMPLETE');
    await sendParts(up, bytes, [2, 3]);
    expect((await hashing(up.uploadId)).hashedThrough).toBe(3);
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('a state this build cannot read falls back to the re-hash', async () => {
    const bytes = randomBytes(PART + 1);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2]);
    await testEnv.DB.prepare("update uploads set hash_state = 'hw-sha256-00000000:AAAA' where id = ?")
      .bind(up.uploadId)
      .run();
    expect((await complete(up.uploadId)).status).toBe(201);
    await expectServed(digest, bytes);
  });

  it('parts are refused while completion holds the lease, so no part can change under it', async () => {
    const bytes = randomBytes(PART + 1);
    const up = await start(await digestOf(bytes), bytes.length);
    await sendParts(up, bytes, [1]);
    await testEnv.DB.prepare("update uploads set state = 'completing', lease_until = ? where id = ?")
      .bind(Date.now() + 60_000, up.uploadId)
      .run();
    const res = await call(`/v1/uploads/${up.uploadId}/parts/2`, { method: 'PUT', body: slice(bytes, 2) });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('UPLOAD_IN_PROGRESS');
    expect((await hashing(up.uploadId)).hashedThrough).toBe(1);
  });

  it('a part whose R2 upload is gone (completed or aborted by a racer) answers 404/410 and stores nothing', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    const row = await testEnv.DB.prepare('select r2_upload_id as r2 from uploads where id = ?')
      .bind(up.uploadId)
      .first<{ r2: string }>();
    await testEnv.BLOBS.resumeMultipartUpload(keyOf(digest), row!.r2).abort();
    const res = await putPart(up.uploadId, 1, slice(bytes, 1));
    expect([404, 410], await res.clone().text()).toContain(res.status);
    expect(await testEnv.BLOBS.head(keyOf(digest))).toBeNull();
  });

  it('a completion that finds a superseded part hands the session back: the part is re-sent at once, then it completes', async () => {
    // What 50 racing clients of one digest do (test/unit/races.test.ts): part 1 written twice at
    // once, D1 keeps one etag and R2 the other, so the store refuses to assemble. The session used
    // to stay "completing" for the whole lease, and every re-sent part got 409 for 5 minutes.
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    await sendParts(up, bytes, [1, 2]);
    const row = await testEnv.DB.prepare('select r2_upload_id as r2 from uploads where id = ?')
      .bind(up.uploadId)
      .first<{ r2: string }>();
    await testEnv.BLOBS.resumeMultipartUpload(keyOf(digest), row!.r2).uploadPart(1, slice(bytes, 1));
    const refused = await complete(up.uploadId);
    expect(refused.status).toBe(400);
    const error = ((await refused.json()) as { error: { code: string; details: { missing: number[] } } })
      .error;
    expect(error).toMatchObject({ code: 'UPLOAD_INCOMPLETE', details: { missing: [1, 2] } });
    await sendParts(up, bytes, [1, 2]);
    const done = await complete(up.uploadId);
    expect(done.status, await done.clone().text()).toBe(201);
    await expectServed(digest, bytes);
  });

  it('local R2 (Miniflare) refuses to complete with a superseded part etag (production R2 part etags are MD5s)', async () => {
    // Documents the emulator; the fast path does not depend on it (see the services/uploads.ts header).
    const key = `test/superseded-${crypto.randomUUID()}`;
    const upload = await testEnv.BLOBS.createMultipartUpload(key);
    const first = await upload.uploadPart(1, randomBytes(PART));
    const second = await upload.uploadPart(1, randomBytes(PART));
    expect(second.etag).not.toBe(first.etag);
    await expect(upload.complete([first])).rejects.toThrow();
    const object = await upload.complete([second]);
    expect(object.size).toBe(PART);
    await testEnv.BLOBS.delete(key);
  });
});
