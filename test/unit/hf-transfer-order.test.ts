/**
 * The Hub's multipart transfer with parts sent in parallel (as `@huggingface/hub` sends five at
 * once): each part waits its turn (services/uploads/turn.ts) so every part is hashed as it
 * streams and `complete` verifies from the saved state without reading the object back. Observed
 * through the session's D1 row before completion, never through timing. And the batch's choice:
 * multipart above one part when the client offers it, basic otherwise.
 */
import { describe, expect, it } from 'vitest';
import { signGrant } from '../../src/services/hf/signed-urls';
import { IDLE_MS } from '../../src/services/uploads/turn';
import { batch, createHfRepo, hf } from '../helpers/hf';
import { call, digestOf, randomBytes, testDeps, testEnv } from '../helpers/http';
import { uniqueName } from '../helpers/registry';
import { MiB, PART, start } from '../helpers/uploads';

const principal = { id: 'admin', name: 'admin', scopes: ['admin'] as const, namespaces: null };

async function partUrl(uploadId: string, part: number) {
  const t = await signGrant(
    testDeps(),
    { kind: 'part', uploadId, part },
    { ...principal, scopes: ['admin'] },
  );
  return `/hf/_transfer/part?t=${t}`;
}

function sendPart(uploadId: string, n: number, bytes: Uint8Array) {
  return partUrl(uploadId, n).then((url) =>
    call(url, { method: 'PUT', body: bytes.subarray((n - 1) * PART, n * PART), token: null }),
  );
}

async function hashing(id: string) {
  const row = await testEnv.DB.prepare(
    'select hashed_through as hashedThrough, hash_claim as hashClaim from uploads where id = ?',
  )
    .bind(id)
    .first<{ hashedThrough: number; hashClaim: number | null }>();
  const parts = await testEnv.DB.prepare(
    'select part_number as n, hashed from upload_parts where upload_id = ? order by part_number',
  )
    .bind(id)
    .all<{ n: number; hashed: number }>();
  return { ...row!, hashedParts: parts.results.filter((p) => p.hashed === 1).map((p) => p.n) };
}

describe('/hf/_transfer/part: parallel parts wait their turn', () => {
  it('four parts sent at once are all hashed in order; complete verifies from the state', async () => {
    const bytes = randomBytes(3 * PART + 4321);
    const digest = await digestOf(bytes);
    const up = await start(digest, bytes.length);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => sendPart(up.uploadId, n, bytes)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await hashing(up.uploadId)).toEqual({
      hashedThrough: 4,
      hashClaim: null,
      hashedParts: [1, 2, 3, 4],
    });
    const t = await signGrant(
      testDeps(),
      { kind: 'complete', uploadId: up.uploadId, digest },
      { ...principal, scopes: ['admin'] },
    );
    const done = await call(`/hf/_transfer/complete?t=${t}`, { method: 'POST', json: {}, token: null });
    expect(done.status).toBe(200);
    const got = new Uint8Array(await (await call(`/v1/blobs/${digest}`)).arrayBuffer());
    expect(got.length).toBe(bytes.length);
    expect(got.every((b, i) => b === bytes[i])).toBe(true);
  });

  it('parts started in reverse order are still hashed in order', async () => {
    const bytes = randomBytes(2 * PART + 10);
    const up = await start(await digestOf(bytes), bytes.length);
    const answers = await Promise.all([3, 2, 1].map((n) => sendPart(up.uploadId, n, bytes)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await hashing(up.uploadId)).hashedParts).toEqual([1, 2, 3]);
  });

  it('a part re-sent after its hashing request failed (its claim stands) is received at once, not after the stall limit', async () => {
    const bytes = randomBytes(2 * PART + 10);
    const up = await start(await digestOf(bytes), bytes.length);
    // What a hashing request of part 1 that died mid-body leaves behind: its claim.
    await testEnv.DB.prepare('update uploads set hash_claim = 1 where id = ?').bind(up.uploadId).run();
    const res = await sendPart(up.uploadId, 1, bytes);
    expect(res.status).toBe(200);
    expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: -1, hashedParts: [] });
  }, 20_000);

  it(
    'a lone out-of-order part does not wait forever: with nothing in flight it is received after the idle limit',
    async () => {
      const bytes = randomBytes(2 * PART + 10);
      const up = await start(await digestOf(bytes), bytes.length);
      const res = await sendPart(up.uploadId, 2, bytes);
      expect(res.status).toBe(200);
      // Received out of order: the state is void, and complete will re-hash (correct, slower).
      expect(await hashing(up.uploadId)).toMatchObject({ hashedThrough: -1, hashedParts: [] });
    },
    IDLE_MS + 20_000,
  );
});

describe('LFS batch: which transfer', () => {
  const MODEL_SIZE = 70 * MiB; // above one 64 MiB part, below the 95 MiB single-request limit

  it('multipart above one part when the client offers it; basic when it does not', async () => {
    const name = uniqueName('acme', 'hft');
    expect((await createHfRepo(name)).status).toBe(200);
    const object = { oid: (await digestOf(randomBytes(64))).slice(7), size: MODEL_SIZE };
    const offered = await batch(name, [object]);
    const [multi] = ((await offered.json()) as { objects: { actions: { upload: { header?: object } } }[] })
      .objects;
    expect(multi!.actions.upload.header).toMatchObject({ chunk_size: String(64 * MiB) });
    const basicOnly = await hf(`/${name}.git/info/lfs/objects/batch`, {
      method: 'POST',
      json: { operation: 'upload', transfers: ['basic'], objects: [object] },
    });
    const [single] = ((await basicOnly.json()) as { objects: { actions: { upload: { header?: object } } }[] })
      .objects;
    expect(single!.actions.upload.header).toBeUndefined();
  });
});
