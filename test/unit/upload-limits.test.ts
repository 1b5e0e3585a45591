/**
 * The single-request limit (MAX_SINGLE_UPLOAD_BYTES) applies to every multipart part: a part
 * declared larger is refused with 413 before a byte is read, and leaves nothing behind. The app
 * reads its config from env on every request, so the limit is lowered per request here
 * (createApp().request with an env override) instead of sending ~95 MiB.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { ADMIN, call, digestOf, randomBytes, testEnv } from '../helpers/http';
import { complete, PART, putPart, start } from '../helpers/uploads';

const app = createApp();

/** PUT a part through an app whose single-request limit is `limit` bytes. */
function putPartWithLimit(uploadId: string, n: number, bytes: Uint8Array, limit: number) {
  return app.request(
    `/v1/uploads/${uploadId}/parts/${n}`,
    {
      method: 'PUT',
      body: bytes,
      headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Length': String(bytes.length) },
    },
    { ...testEnv, MAX_SINGLE_UPLOAD_BYTES: String(limit) },
  );
}

async function recordedParts(uploadId: string) {
  const rows = await testEnv.DB.prepare(
    'SELECT part_number AS n, size, hashed FROM upload_parts WHERE upload_id = ?1 ORDER BY part_number',
  )
    .bind(uploadId)
    .all<{ n: number; size: number; hashed: number }>();
  return rows.results;
}

describe('multipart parts and the single-request limit', () => {
  it('a part above the limit → 413 BLOB_TOO_LARGE, nothing recorded; at the limit it is accepted', async () => {
    const bytes = randomBytes(PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    const first = bytes.subarray(0, PART);

    const refused = await putPartWithLimit(up.uploadId, 1, first, PART - 1);
    expect(refused.status).toBe(413);
    const body = (await refused.json()) as { error: { code: string; details: unknown } };
    expect(body.error.code).toBe('BLOB_TOO_LARGE');
    expect(body.error.details).toEqual({ size: PART, limit: PART - 1 });

    // Nothing of the part: no row, no progress, and the session still expects part 1.
    expect(await recordedParts(up.uploadId)).toEqual([]);
    const session = await testEnv.DB.prepare(
      'SELECT hashed_through AS h, hash_state AS s FROM uploads WHERE id = ?1',
    )
      .bind(up.uploadId)
      .first<{ h: number; s: string | null }>();
    expect(session).toEqual({ h: 0, s: null });
    const progress = await call(`/v1/uploads/${up.uploadId}`);
    expect(((await progress.json()) as { parts: number[] }).parts).toEqual([]);

    // Exactly at the limit the same bytes go through, and the upload completes as usual.
    expect((await putPartWithLimit(up.uploadId, 1, first, PART)).status).toBe(200);
    expect((await putPart(up.uploadId, 2, bytes.subarray(PART))).status).toBe(200);
    expect((await recordedParts(up.uploadId)).map((p) => [p.n, p.size])).toEqual([
      [1, PART],
      [2, 10],
    ]);
    const done = await complete(up.uploadId);
    expect(done.status).toBe(201);
    expect(await done.json()).toEqual({ digest, size: bytes.length });
  });

  it('a refused part does not disturb parts already received', async () => {
    const bytes = randomBytes(2 * PART + 10);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    expect((await putPart(up.uploadId, 1, bytes.subarray(0, PART))).status).toBe(200);
    const before = await recordedParts(up.uploadId);

    // Part 2, and a re-send of part 1, both over a lowered limit.
    expect((await putPartWithLimit(up.uploadId, 2, bytes.subarray(PART, 2 * PART), PART - 1)).status).toBe(
      413,
    );
    expect((await putPartWithLimit(up.uploadId, 1, bytes.subarray(0, PART), PART - 1)).status).toBe(413);
    expect(await recordedParts(up.uploadId)).toEqual(before);

    expect((await putPart(up.uploadId, 2, bytes.subarray(PART, 2 * PART))).status).toBe(200);
    expect((await putPart(up.uploadId, 3, bytes.subarray(2 * PART))).status).toBe(200);
    const done = await complete(up.uploadId);
    expect(done.status).toBe(201);
    const stored = await call(`/v1/blobs/${digest}`);
    expect(await digestOf(new Uint8Array(await stored.arrayBuffer()))).toBe(digest);
  });
});
