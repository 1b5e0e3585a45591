/**
 * The BlobStore contract (src/storage/blob-store.ts), one suite run against every implementation,
 * after distribution/distribution's storage driver suite: R2 (the real local bucket) and memory.
 * A new implementation (e.g. chunked storage) joins by adding a line to STORES.
 */
import { describe, expect, it } from 'vitest';
import { type Digest, hexOf } from '../../src/contract/grammar';
import type { BlobStore } from '../../src/storage/blob-store';
import { hashStored } from '../../src/storage/blob-store';
import { type ChunkPiece, chunkedBlobStore, type RecipeIndex } from '../../src/storage/chunked-blob-store';
import { memoryBlobStore } from '../../src/storage/memory-blob-store';
import { r2BlobStore } from '../../src/storage/r2-blob-store';
import { digestOf, randomBytes, testEnv } from '../helpers/http';

const MiB = 1024 * 1024;
/** A RecipeIndex in memory: recipes as whole-chunk pieces, clipped like the D1 one. */
function memoryIndex(recipes = new Map<string, ChunkPiece[]>()): RecipeIndex & {
  recipes: Map<string, ChunkPiece[]>;
} {
  return {
    recipes,
    async find(digest) {
      const pieces = recipes.get(digest);
      return pieces ? { size: pieces.reduce((s, p) => s + p.length, 0), created: new Date(0) } : null;
    },
    async *pieces(digest, start, end) {
      let at = 0;
      for (const piece of recipes.get(digest) ?? []) {
        const from = Math.max(start, at);
        const to = Math.min(end, at + piece.length);
        if (from < to) yield { ...piece, packOffset: piece.packOffset + from - at, length: to - from };
        at += piece.length;
      }
    },
  };
}

const STORES: [string, () => BlobStore][] = [
  ['r2', () => r2BlobStore(testEnv.BLOBS)],
  ['memory', () => memoryBlobStore()],
  // The chunked layer keeps the whole contract for blobs that are not recipes.
  ['chunked over r2', () => chunkedBlobStore(r2BlobStore(testEnv.BLOBS), memoryIndex())],
  ['chunked over memory', () => chunkedBlobStore(memoryBlobStore(), memoryIndex())],
];

const text = async (body: ReadableStream<Uint8Array>) =>
  new Uint8Array(await new Response(body).arrayBuffer());
const streamOf = (bytes: Uint8Array) => new Blob([bytes]).stream();

/** A stream of known length, as R2 needs (a request body has one; a Blob stream is wrapped). */
function sized(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const fixed = new FixedLengthStream(bytes.byteLength);
  void streamOf(bytes).pipeTo(fixed.writable);
  return fixed.readable;
}

describe.each(STORES)('BlobStore contract: %s', (_name, make) => {
  it('put verifies: the right bytes are stored and read back whole, vouched for', async () => {
    const store = make();
    const bytes = randomBytes(1000);
    const digest = await digestOf(bytes);
    expect(await store.put(digest, bytes)).toEqual({ ok: true, size: 1000 });
    const read = await store.get(digest);
    expect(read?.size).toBe(1000);
    expect(read?.verified).toBe(true);
    expect(await text(read!.body)).toEqual(bytes);
    expect(await store.head(digest)).toMatchObject({ size: 1000, verified: true });
  });

  it('put refuses bytes that do not hash to the digest and keeps nothing (stream and buffer)', async () => {
    const store = make();
    const digest = await digestOf(randomBytes(64));
    expect(await store.put(digest, randomBytes(64))).toEqual({ ok: false, reason: 'digest-mismatch' });
    expect(await store.put(digest, sized(randomBytes(64)))).toEqual({ ok: false, reason: 'digest-mismatch' });
    expect(await store.get(digest)).toBeNull();
    expect(await store.head(digest)).toBeNull();
  });

  it('put of the same bytes twice is idempotent; the empty blob is a blob', async () => {
    const store = make();
    const bytes = randomBytes(10);
    const digest = await digestOf(bytes);
    await store.put(digest, bytes);
    expect(await store.put(digest, sized(bytes))).toEqual({ ok: true, size: 10 });
    const empty = await digestOf(new Uint8Array(0));
    expect(await store.put(empty, '')).toEqual({ ok: true, size: 0 });
    expect((await store.head(empty))?.size).toBe(0);
  });

  it('get with a range returns exactly those bytes and the whole size', async () => {
    const store = make();
    const bytes = randomBytes(5000);
    const digest = await digestOf(bytes);
    await store.put(digest, bytes);
    for (const [offset, length] of [
      [0, 1],
      [4999, 1],
      [1234, 2000],
      [0, 5000],
    ] as const) {
      const read = await store.get(digest, { offset, length });
      expect(read?.size).toBe(5000);
      expect(await text(read!.body)).toEqual(bytes.subarray(offset, offset + length));
    }
  });

  it('absent blobs: get and head are null, delete is a no-op', async () => {
    const store = make();
    const digest = await digestOf(randomBytes(8));
    expect(await store.get(digest)).toBeNull();
    expect(await store.head(digest)).toBeNull();
    await store.delete([digest]);
  });

  it('delete removes every listed blob and nothing else', async () => {
    const store = make();
    const kept = randomBytes(20);
    const keptDigest = await digestOf(kept);
    await store.put(keptDigest, kept);
    const gone: Digest[] = [];
    for (let i = 0; i < 3; i++) {
      const bytes = randomBytes(20);
      const digest = await digestOf(bytes);
      await store.put(digest, bytes);
      gone.push(digest);
    }
    await store.delete(gone);
    for (const digest of gone) expect(await store.head(digest)).toBeNull();
    expect(await store.head(keptDigest)).not.toBeNull();
  });

  it('list pages through blobs in digest order from any starting prefix', async () => {
    const store = make();
    const digests: Digest[] = [];
    for (let i = 0; i < 7; i++) {
      const bytes = randomBytes(16);
      const digest = await digestOf(bytes);
      await store.put(digest, bytes);
      digests.push(digest);
    }
    const seen: string[] = [];
    let after: string | null = '';
    while (after !== null) {
      const page = await store.list(after, 3);
      expect(page.blobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.blobs.map((b) => b.digest));
      after = page.next;
    }
    for (const digest of digests) expect(seen).toContain(digest);
    expect([...seen].sort()).toEqual(seen);
    // From the middle: only digests after the prefix.
    const middle = hexOf([...digests].sort()[3]!);
    const rest = await store.list(middle, 1000);
    expect(rest.blobs.every((b) => hexOf(b.digest) > middle)).toBe(true);
  });

  it('multipart: parts assemble in order, unverified until the caller checks them', async () => {
    const store = make();
    const part1 = randomBytes(5 * MiB);
    const part2 = randomBytes(1000);
    const whole = new Uint8Array([...part1, ...part2]);
    const digest = await digestOf(whole);
    const id = await store.multipart.create(digest);
    const p2 = await store.multipart.putPart(digest, id, 2, sized(part2));
    const p1 = await store.multipart.putPart(digest, id, 1, part1.slice().buffer as ArrayBuffer);
    expect(p1.ok && p2.ok).toBe(true);
    if (!p1.ok || !p2.ok) return;
    expect(await store.head(digest)).toBeNull(); // nothing visible before assembly
    const assembled = await store.multipart.assemble(digest, id, [
      { partNumber: 1, etag: p1.etag },
      { partNumber: 2, etag: p2.etag },
    ]);
    expect(assembled).toEqual({ ok: true, size: whole.byteLength });
    expect(await hashStored(store, digest)).toEqual({ matches: true, size: whole.byteLength });
    const read = await store.get(digest, { offset: 5 * MiB - 2, length: 4 });
    expect(read?.verified).toBe(false); // an assembly is the caller's to verify
    expect(await text(read!.body)).toEqual(whole.subarray(5 * MiB - 2, 5 * MiB + 2));
    // The upload is used up.
    expect(await store.multipart.assemble(digest, id, [{ partNumber: 1, etag: p1.etag }])).toEqual({
      ok: false,
      reason: 'upload-unknown',
    });
  });

  it('multipart: a superseded etag is refused; an aborted upload is unknown and abort is idempotent', async () => {
    const store = make();
    const bytes = randomBytes(100);
    const digest = await digestOf(bytes);
    const id = await store.multipart.create(digest);
    const first = await store.multipart.putPart(digest, id, 1, bytes.slice().buffer as ArrayBuffer);
    const second = await store.multipart.putPart(digest, id, 1, bytes.slice().buffer as ArrayBuffer);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(await store.multipart.assemble(digest, id, [{ partNumber: 1, etag: `${first.etag}x` }])).toEqual({
      ok: false,
      reason: 'parts-invalid',
    });
    await store.multipart.abort(digest, id);
    await store.multipart.abort(digest, id);
    expect(await store.multipart.putPart(digest, id, 2, bytes.slice().buffer as ArrayBuffer)).toEqual({
      ok: false,
      reason: 'upload-unknown',
    });
    expect(await store.head(digest)).toBeNull();
  });

  it('staging: bytes staged under a key read back whole, are never a blob, and are deleted (idempotently)', async () => {
    const store = make();
    const bytes = randomBytes(3000);
    const digest = await digestOf(bytes);
    await store.staging.put('oci_test-upload/1', sized(bytes));
    await store.staging.put('oci_test-upload/2', bytes.slice(0, 10));
    expect(await text((await store.staging.get('oci_test-upload/1'))!)).toEqual(bytes);
    expect(await store.get(digest)).toBeNull();
    const page = await store.list(hexOf(digest).slice(0, 63));
    expect(page.blobs.map((b) => b.digest)).not.toContain(digest);
    await store.staging.delete(['oci_test-upload/1', 'oci_test-upload/2', 'oci_test-upload/3']);
    expect(await store.staging.get('oci_test-upload/1')).toBeNull();
    await expect(store.staging.put('../blobs/sha256/x', bytes)).rejects.toThrow(/staging key/);
  });

  it('staging.adopt: staged chunks become the blob unrewritten (unverified), ranges span them, delete takes them', async () => {
    const store = make();
    const id = `oci_adopt-${crypto.randomUUID()}`;
    const cuts = [0, 5000, 5001, 20_000];
    const bytes = randomBytes(cuts.at(-1)!);
    const digest = await digestOf(bytes);
    const keys = cuts.slice(1).map((_, k) => `${id}/${k + 1}`);
    for (const [k, key] of keys.entries()) await store.staging.put(key, bytes.slice(cuts[k], cuts[k + 1]));
    expect(await store.staging.adopt(digest, [...keys, `${id}/9`])).toEqual({
      ok: false,
      reason: 'staging-missing',
    });
    expect(await store.get(digest)).toBeNull();
    expect(await store.staging.adopt(digest, keys)).toEqual({ ok: true, size: bytes.length });
    const read = await store.get(digest);
    expect(read?.size).toBe(bytes.length);
    expect(read?.verified).toBe(false);
    expect(await text(read!.body)).toEqual(bytes);
    expect(await store.head(digest)).toMatchObject({ size: bytes.length, verified: false });
    // Inside one chunk, across all three, and the one-byte chunk alone.
    for (const [offset, length] of [
      [10, 100],
      [4990, 10_000],
      [5000, 1],
    ] as const) {
      const part = await store.get(digest, { offset, length });
      expect(part?.size).toBe(bytes.length);
      expect(await text(part!.body)).toEqual(bytes.slice(offset, offset + length));
    }
    expect(await hashStored(store, digest)).toEqual({ matches: true, size: bytes.length });
    const listed = await store.list(hexOf(digest).slice(0, 63));
    expect(listed.blobs.find((b) => b.digest === digest)?.size).toBe(bytes.length);
    await store.delete([digest]);
    expect(await store.get(digest)).toBeNull();
    for (const key of keys) expect(await store.staging.get(key)).toBeNull();
  });

  it('staging.release: deletes staged chunks unless the blob is their adoption', async () => {
    const store = make();
    const bytes = randomBytes(4000);
    const digest = await digestOf(bytes);
    const stage = async (id: string) => {
      const keys = [`${id}/1`, `${id}/2`];
      await store.staging.put(keys[0]!, bytes.slice(0, 1500));
      await store.staging.put(keys[1]!, bytes.slice(1500));
      return keys;
    };
    // Never adopted (the writer died before adopting): deleted; again: still 'deleted', a no-op.
    const lost = await stage(`oci_lost-${crypto.randomUUID()}`);
    expect(await store.staging.release(digest, lost)).toBe('deleted');
    for (const key of lost) expect(await store.staging.get(key)).toBeNull();
    expect(await store.staging.release(digest, lost)).toBe('deleted');
    // Adopted (the writer died after adopting): kept, the blob reads whole.
    const mine = await stage(`oci_mine-${crypto.randomUUID()}`);
    expect(await store.staging.adopt(digest, mine)).toEqual({ ok: true, size: bytes.length });
    expect(await store.staging.release(digest, mine)).toBe('kept');
    expect(await text((await store.get(digest))!.body)).toEqual(bytes);
    // Another upload adopted as the same digest later: the first one's chunks are nobody's.
    const theirs = await stage(`oci_theirs-${crypto.randomUUID()}`);
    expect(await store.staging.adopt(digest, theirs)).toEqual({ ok: true, size: bytes.length });
    expect(await store.staging.release(digest, mine)).toBe('deleted');
    for (const key of mine) expect(await store.staging.get(key)).toBeNull();
    expect(await text((await store.get(digest))!.body)).toEqual(bytes);
    await store.delete([digest]);
  });

  it('packs: stored whole, read back whole and by range, deleted (idempotently); never a blob', async () => {
    const store = make();
    const bytes = randomBytes(5000);
    const id = `pk_${crypto.randomUUID().replaceAll('-', '')}`;
    await store.packs.put(id, sized(bytes));
    expect(await text((await store.packs.get(id))!)).toEqual(bytes);
    expect(await text((await store.packs.get(id, { offset: 1000, length: 2345 }))!)).toEqual(
      bytes.subarray(1000, 3345),
    );
    expect(await store.get(await digestOf(bytes))).toBeNull();
    await store.packs.delete([id, 'pk_absent']);
    expect(await store.packs.get(id)).toBeNull();
    await expect(store.packs.put('../blobs/sha256/x', bytes)).rejects.toThrow(/pack id/);
  });
});

describe.each([
  ['r2', () => r2BlobStore(testEnv.BLOBS)],
  ['memory', () => memoryBlobStore()],
] as [string, () => BlobStore][])('chunked BlobStore over %s', (_name, makeBase) => {
  async function chunked() {
    const base = makeBase();
    const index = memoryIndex();
    const store = chunkedBlobStore(base, index);
    // Two packs; the file is pack A [0, 3000) + pack B [100, 2100) + pack A [3000, 4000).
    const a = randomBytes(4000);
    const b = randomBytes(2200);
    const ids = [0, 1].map(() => `pk_${crypto.randomUUID().replaceAll('-', '')}`) as [string, string];
    await base.packs.put(ids[0], a);
    await base.packs.put(ids[1], b);
    const file = new Uint8Array([...a.subarray(0, 3000), ...b.subarray(100, 2100), ...a.subarray(3000)]);
    const digest = await digestOf(file);
    index.recipes.set(digest, [
      { packId: ids[0], packOffset: 0, length: 1000 },
      { packId: ids[0], packOffset: 1000, length: 2000 },
      { packId: ids[1], packOffset: 100, length: 2000 },
      { packId: ids[0], packOffset: 3000, length: 1000 },
    ]);
    return { base, index, store, file, digest };
  }

  it('reads a recipe whole, by range across pieces and packs, and heads it, vouched for', async () => {
    const { store, file, digest } = await chunked();
    const whole = await store.get(digest);
    expect(whole?.size).toBe(file.length);
    expect(whole?.verified).toBe(true);
    expect(await text(whole!.body)).toEqual(file);
    for (const [offset, length] of [
      [0, 1],
      [999, 2],
      [2500, 3000],
      [4999, 1001],
      [file.length - 1, 1],
    ] as const) {
      const read = await store.get(digest, { offset, length });
      expect(await text(read!.body)).toEqual(file.subarray(offset, offset + length));
    }
    expect(await store.head(digest)).toMatchObject({ size: file.length, verified: true });
    expect(await hashStored(store, digest)).toEqual({ matches: true, size: file.length });
  });

  it('a missing pack errors the stream instead of serving short bytes', async () => {
    const { base, store, digest, index } = await chunked();
    await base.packs.delete([index.recipes.get(digest)![2]!.packId]);
    const read = await store.get(digest);
    await expect(text(read!.body)).rejects.toThrow();
  });

  it('an unverified object at the digest (an assembly being checked) does not shadow a recipe', async () => {
    const { base, store, file, digest } = await chunked();
    const id = await base.multipart.create(digest);
    const part = await base.multipart.putPart(digest, id, 1, randomBytes(100).buffer as ArrayBuffer);
    if (!part.ok) throw new Error('part refused');
    expect((await base.multipart.assemble(digest, id, [{ partNumber: 1, etag: part.etag }])).ok).toBe(true);
    expect(await text((await store.get(digest))!.body)).toEqual(file);
    await base.delete([digest]);
  });
});
