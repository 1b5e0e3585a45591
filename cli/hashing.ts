/**
 * SHA-256 of files and streams with node:crypto. A file up to one read chunk (1 MiB) is read in
 * one go; a larger one is streamed in 1 MiB chunks, never held whole in memory, whatever its size.
 * Asked for chunks, the same pass also cuts the file into content-defined chunks
 * (src/contract/chunking.ts) and hashes each: a large file is read once to learn both its digest
 * and what a chunked upload needs.
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Chunker } from '../src/contract/chunking';

export const READ_CHUNK = 1024 * 1024;

export interface Hashed {
  digest: string;
  size: number;
}

/**
 * A file's content-defined chunks, compactly (36 bytes a chunk, so a 100 GB push keeps ~60 MB):
 * chunk i is `lengths[i]` bytes long and its SHA-256 is `ids[32 i … 32 i + 32)`.
 */
export interface ChunkList {
  ids: Uint8Array;
  lengths: Uint32Array;
}

export function chunkId(list: ChunkList, i: number): string {
  return Buffer.from(list.ids.buffer, list.ids.byteOffset + 32 * i, 32).toString('hex');
}

export async function hashFile(
  path: string,
  onBytes?: (n: number) => void,
  options?: { chunks?: false },
): Promise<Hashed>;
export async function hashFile(
  path: string,
  onBytes: ((n: number) => void) | undefined,
  options: { chunks: true },
): Promise<Hashed & { chunks: ChunkList }>;
export async function hashFile(
  path: string,
  onBytes?: (n: number) => void,
  options: { chunks?: boolean } = {},
): Promise<Hashed & { chunks?: ChunkList }> {
  const file = await open(path);
  try {
    // A stream would allocate a whole chunk per read and copy a small file out of it: reading
    // small files whole costs a third less CPU, and most files of a dataset are small.
    if (!options.chunks && (await file.stat()).size <= READ_CHUNK) {
      const bytes = await file.readFile();
      onBytes?.(bytes.byteLength);
      return { digest: sha256(bytes), size: bytes.byteLength };
    }
    const hash = createHash('sha256');
    const cutter = options.chunks ? new ChunkCutter() : null;
    let size = 0;
    for await (const chunk of file.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false })) {
      hash.update(chunk as Buffer);
      cutter?.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
      onBytes?.((chunk as Buffer).byteLength);
    }
    return { digest: digestOf(hash), size, ...(cutter ? { chunks: cutter.finish() } : {}) };
  } finally {
    await file.close();
  }
}

export function digestOf(hash: Hash): string {
  return `sha256:${hash.digest('hex')}`;
}

export function sha256(bytes: Uint8Array | string): string {
  return digestOf(createHash('sha256').update(bytes));
}

/** Feeds a Chunker and hashes each chunk as its bytes go by (no copy: sub-views of the reads). */
class ChunkCutter {
  private readonly chunker = new Chunker();
  private hash = createHash('sha256');
  private readonly ids: Buffer[] = [];
  private readonly lengths: number[] = [];
  /** Absolute offsets: where the current chunk and the next buffer start. */
  private start = 0;
  private offset = 0;

  update(buf: Buffer): void {
    let from = 0;
    for (const end of this.chunker.update(buf)) {
      this.hash.update(buf.subarray(from, end - this.offset));
      from = end - this.offset;
      this.cut(end);
    }
    if (from < buf.byteLength) this.hash.update(buf.subarray(from));
    this.offset += buf.byteLength;
  }

  finish(): ChunkList {
    const end = this.chunker.finish();
    if (end !== null) this.cut(end);
    return { ids: Buffer.concat(this.ids), lengths: Uint32Array.from(this.lengths) };
  }

  private cut(end: number): void {
    this.ids.push(this.hash.digest());
    this.lengths.push(end - this.start);
    this.start = end;
    this.hash = createHash('sha256');
  }
}
