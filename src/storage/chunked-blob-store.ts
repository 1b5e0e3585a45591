/**
 * A BlobStore layered over another one (R2 in production, memory in tests) that also serves
 * blobs stored as recipes of chunks (docs/DESIGN.md "Chunk-level dedup"): every reader behind
 * the seam (GET /v1/blobs with Range, Git LFS, OCI, /hf, the table profiler, `hashStored`) reads
 * a chunked blob exactly like a whole one, and no route knows the difference.
 *
 * Which blobs are chunked, and where their chunks lie, is D1's knowledge, so it comes in through
 * a `RecipeIndex` (services/chunks/recipe-index.ts); the bytes come from the base store's packs.
 *
 * Lookup order keeps whole blobs as fast as before: the base store is asked first, and its read
 * is served as is when the store vouches for it (a verified put). Only otherwise is the recipe
 * consulted: a chunked blob has no object of its own, and an unverified object at its key (a
 * multipart assembly still being checked) must not shadow a verified recipe.
 *
 * A read walks the chunks that overlap the range in order, coalesces neighbours that lie next to
 * each other in one pack into one range read (a first push writes a file's chunks in order, so a
 * 256 MiB file is a handful of reads, not 4,000), and fetches the next read while the current
 * one streams.
 */
import type { Digest } from '../contract/grammar';
import type { BlobInfo, BlobRead, BlobStore, ByteRange, PackStore } from './blob-store';

/** Part of one chunk, already clipped to the range asked for. */
export interface ChunkPiece {
  packId: string;
  /** Where the piece starts inside the pack object. */
  packOffset: number;
  length: number;
}

export interface RecipeIndex {
  /** A live chunked blob's size and creation time; null when `digest` is not one. */
  find(digest: Digest): Promise<{ size: number; created: Date } | null>;
  /** The pieces covering bytes [start, end) of the blob, in order and clipped to them. */
  pieces(digest: Digest, start: number, end: number): AsyncIterable<ChunkPiece>;
}

/** One range read from one pack. */
export type PackRun = ChunkPiece;

/** Merges pieces that continue each other inside the same pack into single reads. */
export async function* coalesce(pieces: AsyncIterable<ChunkPiece> | Iterable<ChunkPiece>) {
  let run: PackRun | null = null;
  for await (const piece of pieces) {
    if (run && run.packId === piece.packId && run.packOffset + run.length === piece.packOffset) {
      run.length += piece.length;
      continue;
    }
    if (run) yield run;
    run = { ...piece };
  }
  if (run) yield run;
}

async function openRun(packs: PackStore, run: PackRun): Promise<ReadableStream<Uint8Array>> {
  const body = await packs.get(run.packId, { offset: run.packOffset, length: run.length });
  // A recipe whose pack is gone breaks the storage invariant (GC keeps packs recipes use).
  if (!body) throw new Error(`pack ${run.packId} is missing bytes a recipe needs`);
  return body;
}

interface Opening {
  body: Promise<ReadableStream<Uint8Array>>;
}

/** Streams `total` bytes from the runs, opening the next read while the current one streams. */
function streamRuns(
  packs: PackStore,
  runs: AsyncIterator<PackRun>,
  total: number,
): ReadableStream<Uint8Array> {
  const { readable, writable } = new FixedLengthStream(total);
  // Wrapped so an async function does not wait for the read it starts.
  const open = async (): Promise<Opening | null> => {
    const next = await runs.next();
    if (next.done) return null;
    const body = openRun(packs, next.value);
    body.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    return { body };
  };
  let current = open();
  const pump = async () => {
    for (;;) {
      const opening = await current;
      if (!opening) break;
      const body = await opening.body;
      current = open();
      current.catch(() => undefined);
      await body.pipeTo(writable, { preventClose: true });
    }
    await writable.close();
  };
  pump().catch(async (err) => {
    await writable.abort(err).catch(() => undefined);
    const pending = await current.catch(() => null);
    await (await pending?.body.catch(() => null))?.cancel().catch(() => undefined);
  });
  return readable;
}

/** One read is served as the pack's own stream (no copy through a transform); more are joined. */
async function bodyOf(
  packs: PackStore,
  runs: AsyncGenerator<PackRun>,
  total: number,
): Promise<ReadableStream<Uint8Array>> {
  const first = await runs.next();
  if (first.done) return streamRuns(packs, runs, total);
  const second = await runs.next();
  if (second.done) return openRun(packs, first.value);
  async function* all() {
    yield first.value as PackRun;
    yield second.value as PackRun;
    yield* runs;
  }
  return streamRuns(packs, all(), total);
}

export function chunkedBlobStore(base: BlobStore, index: RecipeIndex): BlobStore {
  return {
    ...base,

    async get(digest: Digest, range?: ByteRange): Promise<BlobRead | null> {
      const read = await base.get(digest, range);
      if (read?.verified) return read;
      const chunked = await index.find(digest);
      if (!chunked) return read;
      await read?.body.cancel();
      const start = range?.offset ?? 0;
      const end = range ? range.offset + range.length : chunked.size;
      const runs = coalesce(index.pieces(digest, start, end));
      // Verified: a recipe is committed only after its reassembled bytes hashed to the digest.
      return { body: await bodyOf(base.packs, runs, end - start), size: chunked.size, verified: true };
    },

    async head(digest: Digest): Promise<BlobInfo | null> {
      const info = await base.head(digest);
      if (info?.verified) return info;
      const chunked = await index.find(digest);
      return chunked ? { size: chunked.size, uploaded: chunked.created, verified: true } : info;
    },
  };
}
