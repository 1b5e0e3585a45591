/**
 * POST /v1/chunks/packs: every chunk is verified while the pack streams into R2, and a pack that
 * fails in any way (bad magic or count, a length lie, a truncated body, one wrong chunk) leaves
 * nothing behind: no chunk row, no pack row, no R2 object.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PACK_MEDIA_TYPE, packHeaderBytes } from '../../src/contract/chunks';
import { chunkOf, known, packOf, postPack, postPackBytes, type TestChunk } from '../helpers/chunk-packs';
import { call, createToken, errorCode, randomBytes, testEnv } from '../helpers/http';

async function packObjects(): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await testEnv.BLOBS.list({ prefix: 'packs/', cursor });
    for (const o of page.objects) keys.add(o.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

async function packRows(): Promise<number> {
  const row = await testEnv.DB.prepare('SELECT count(*) AS n FROM packs').first<{ n: number }>();
  return row?.n ?? -1;
}

async function someChunks(n: number, size = 4096): Promise<TestChunk[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => chunkOf(randomBytes(size + i))));
}

/** Runs `attempt` and checks it left no pack object, no pack row and no chunk row behind. */
async function leavesNothing(chunks: readonly TestChunk[], attempt: () => Promise<Response>) {
  const objects = await packObjects();
  const rows = await packRows();
  const res = await attempt();
  expect(await packObjects()).toEqual(objects);
  expect(await packRows()).toBe(rows);
  const answer = (await (await known(chunks.map((c) => c.hex))).json()) as { known: string[] };
  expect(answer.known).toEqual([]);
  return res;
}

describe('POST /v1/chunks/packs', () => {
  it('stores a pack: 201 with its id, chunk count, bytes and new chunks; the chunks become known', async () => {
    const chunks = await someChunks(5);
    const res = await postPack(chunks);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { pack: string; chunks: number; bytes: number; newChunks: number };
    expect(body).toEqual({
      pack: expect.stringMatching(/^pk_[0-9a-f]{32}$/),
      chunks: 5,
      bytes: chunks.reduce((s, c) => s + c.length, 0),
      newChunks: 5,
    });
    expect((await testEnv.BLOBS.head(`packs/${body.pack}`))?.size).toBe(packOf(chunks).length);
    const answer = (await (await known(chunks.map((c) => c.hex))).json()) as { known: string[] };
    expect(answer.known).toEqual(chunks.map((c) => c.hex));
  });

  it('chunks already stored are accepted and not counted as new; a chunk twice in one pack is one chunk', async () => {
    const chunks = await someChunks(3);
    expect((await postPack(chunks.slice(0, 2))).status).toBe(201);
    const res = await postPack([...chunks, chunks[2]!]);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { newChunks: number }).newChunks).toBe(1);
  });

  it('one chunk that does not hash to its entry → 422 CHUNK_DIGEST_MISMATCH with its index; nothing kept', async () => {
    const chunks = await someChunks(4);
    const body = packOf(chunks);
    // Flip one byte of chunk 2's data.
    const at = packHeaderBytes(4) + chunks[0]!.length + chunks[1]!.length + 10;
    body[at] = (body[at] as number) ^ 0xff;
    const res = await leavesNothing(chunks, () => postPackBytes(body));
    expect(res.status).toBe(422);
    const error = ((await res.json()) as { error: { code: string; details: unknown } }).error;
    expect(error.code).toBe('CHUNK_DIGEST_MISMATCH');
    expect(error.details).toEqual({ index: 2, chunk: chunks[2]!.hex });
  });

  it('a wrong last chunk (caught only at the end of the stream) leaves nothing either', async () => {
    const chunks = await someChunks(3);
    const body = packOf(chunks);
    body[body.length - 1] = (body.at(-1) as number) ^ 1;
    const res = await leavesNothing(chunks, () => postPackBytes(body));
    expect(await errorCode(res)).toBe('CHUNK_DIGEST_MISMATCH');
  });

  it('bad magic, a zero or huge count, a zero or oversized chunk length → 400 PACK_INVALID, nothing kept', async () => {
    const chunks = await someChunks(2);
    const good = packOf(chunks);
    const variants: Uint8Array[] = [];
    const badMagic = good.slice();
    badMagic[0] = 0x58;
    variants.push(badMagic);
    for (const count of [0, 4097]) {
      const v = good.slice();
      new DataView(v.buffer).setUint32(8, count);
      variants.push(v);
    }
    for (const length of [0, 1024 * 1024 + 1]) {
      const v = good.slice();
      new DataView(v.buffer).setUint32(12 + 32, length);
      variants.push(v);
    }
    for (const body of variants) {
      const res = await leavesNothing(chunks, () => postPackBytes(body));
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('PACK_INVALID');
    }
  });

  it('a length lie (the index says more or fewer bytes than Content-Length) → 400 PACK_INVALID, nothing kept', async () => {
    const chunks = await someChunks(3);
    const good = packOf(chunks);
    const longer = new DataView(good.slice().buffer);
    longer.setUint32(12 + 36 * 2 + 32, chunks[2]!.length + 5);
    const shorter = new DataView(good.slice().buffer);
    shorter.setUint32(12 + 32, chunks[0]!.length - 5);
    for (const body of [new Uint8Array(longer.buffer), new Uint8Array(shorter.buffer)]) {
      const res = await leavesNothing(chunks, () => postPackBytes(body));
      expect(await errorCode(res)).toBe('PACK_INVALID');
    }
    const truncated = good.subarray(0, good.length - 100);
    const res = await leavesNothing(chunks, () => postPackBytes(truncated));
    expect(await errorCode(res)).toBe('PACK_INVALID');
    const headerOnly = good.subarray(0, 20);
    expect(await errorCode(await leavesNothing(chunks, () => postPackBytes(headerOnly)))).toBe(
      'PACK_INVALID',
    );
  });

  it('a body that ends before its Content-Length (a dropped connection) keeps nothing', async () => {
    const chunks = await someChunks(3, 70_000);
    const body = packOf(chunks);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body.subarray(0, body.length - 1000));
        controller.close();
      },
    });
    const res = await leavesNothing(chunks, () =>
      call('/v1/chunks/packs', {
        method: 'POST',
        body: stream,
        headers: { 'content-type': PACK_MEDIA_TYPE, 'content-length': String(body.length) },
      }),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it('wrong Content-Type → 415, no Content-Length → 411, above 64 MiB → 413, read-only token → 403', async () => {
    const chunks = await someChunks(1);
    const body = packOf(chunks);
    const plain = await call('/v1/chunks/packs', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(plain.status).toBe(415);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body);
        controller.close();
      },
    });
    const noLength = await call('/v1/chunks/packs', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': PACK_MEDIA_TYPE },
    });
    expect(noLength.status).toBe(411);
    const huge = await call('/v1/chunks/packs', {
      method: 'POST',
      body: new Uint8Array(16),
      headers: { 'content-type': PACK_MEDIA_TYPE, 'content-length': String(65 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);
    const reader = await createToken(['read']);
    expect((await postPack(chunks, reader.token)).status).toBe(403);
  });

  it('property: any single corrupted byte in any chunk is caught, whatever the chunk sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        async (sizes, pick) => {
          const chunks = await Promise.all(sizes.map((n) => chunkOf(randomBytes(n))));
          const body = packOf(chunks);
          const dataStart = packHeaderBytes(chunks.length);
          const at = dataStart + (pick % (body.length - dataStart));
          body[at] = (body[at] as number) ^ 0x01;
          const res = await postPackBytes(body);
          expect(res.status).toBe(422);
          expect(await errorCode(res)).toBe('CHUNK_DIGEST_MISMATCH');
        },
      ),
      { numRuns: 15 },
    );
  });
});
