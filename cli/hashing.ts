/**
 * SHA-256 of files and streams with node:crypto. A file up to one read chunk (1 MiB) is read in
 * one go; a larger one is streamed in 1 MiB chunks, never held whole in memory, whatever its size.
 * Asked for chunks, the same reads also cut the file into content-defined chunks
 * (src/contract/chunking.ts) and hash each (with the file's digest on a second thread): a large
 * file is read once to learn both its digest and what a chunked upload needs.
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
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
  if (options.chunks) return hashAndChunk(path, onBytes);
  const file = await open(path);
  try {
    // A stream would allocate a whole chunk per read and copy a small file out of it: reading
    // small files whole costs a third less CPU, and most files of a dataset are small.
    if ((await file.stat()).size <= READ_CHUNK) {
      const bytes = await file.readFile();
      onBytes?.(bytes.byteLength);
      return { digest: sha256(bytes), size: bytes.byteLength };
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of file.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
      onBytes?.((chunk as Buffer).byteLength);
    }
    return { digest: digestOf(hash), size };
  } finally {
    await file.close();
  }
}

/**
 * The chunked pass, on two threads: this one reads the file and runs the Gear loop to find the
 * cut points (src/contract/chunking.ts), a worker thread hashes the whole file and each chunk from
 * the same bytes. Reads go into a ring of buffers shared with the worker (no allocation, no copy);
 * a slot is read into again once the worker is done with it, and one read is always in flight.
 * 256 MiB on this repository's machine: ~0.32 s, against ~0.45 s for the same work on one thread.
 */
async function hashAndChunk(
  path: string,
  onBytes?: (n: number) => void,
): Promise<Hashed & { chunks: ChunkList }> {
  const file = await open(path);
  let hasher: HashThread | null = null;
  let next: Promise<{ slot: Slot; bytesRead: number }> | null = null;
  try {
    const thread = new HashThread();
    hasher = thread;
    const chunker = new Chunker();
    const lengths: number[] = [];
    let lastCut = 0;
    let size = 0;
    const readInto = async (slot: Slot, position: number) => {
      const { bytesRead } = await file.read(thread.bytes(slot), 0, READ_CHUNK, position);
      return { slot, bytesRead };
    };
    // Issued before this returns whenever a slot is free (not after an await: the read would
    // then only start once this thread is done with the buffer before it).
    const readAt = (position: number) => {
      const slot = thread.takeFreeSlot();
      return slot !== null ? readInto(slot, position) : thread.freeSlot().then((s) => readInto(s, position));
    };
    next = readAt(0);
    for (;;) {
      const { slot, bytesRead } = await next;
      if (bytesRead === 0) break;
      next = readAt(size + bytesRead);
      const cuts = chunker.update(thread.bytes(slot).subarray(0, bytesRead));
      for (const end of cuts) {
        lengths.push(end - lastCut);
        lastCut = end;
      }
      thread.hash(slot, bytesRead, cuts);
      size += bytesRead;
      onBytes?.(bytesRead);
    }
    next = null;
    const end = chunker.finish();
    if (end !== null) lengths.push(end - lastCut);
    const { digest, ids } = await thread.finish(end !== null);
    return { digest: `sha256:${digest}`, size, chunks: { ids, lengths: Uint32Array.from(lengths) } };
  } finally {
    next?.catch(() => undefined);
    hasher?.close();
    await file.close();
  }
}

const RING_SLOTS = 8;

/**
 * The worker: CommonJS, evaluated from this string (no loader, no file to find beside a bundle).
 * Per slot it gets the absolute end offsets of the chunks that end in it, and feeds each byte to
 * the file's hash and to the current chunk's.
 */
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const file = createHash('sha256');
let chunk = createHash('sha256');
const ids = [];
let offset = 0;
parentPort.on('message', (m) => {
  if (m.finish) {
    if (m.lastChunk) ids.push(chunk.digest());
    const all = Buffer.concat(ids);
    const out = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
    return parentPort.postMessage({ digest: file.digest('hex'), ids: out }, [out]);
  }
  const bytes = new Uint8Array(workerData, m.slot * ${READ_CHUNK}, m.length);
  file.update(bytes);
  let from = 0;
  for (const end of m.cuts) {
    chunk.update(bytes.subarray(from, end - offset));
    ids.push(chunk.digest());
    chunk = createHash('sha256');
    from = end - offset;
  }
  if (from < m.length) chunk.update(bytes.subarray(from));
  offset += m.length;
  parentPort.postMessage({ free: m.slot });
});
`;

/** A slot of the ring, by index. */
type Slot = number;

/** The hashing worker thread and the ring of read buffers it shares with this thread. */
class HashThread {
  private readonly ring = new SharedArrayBuffer(RING_SLOTS * READ_CHUNK);
  private readonly worker = new Worker(HASH_WORKER, { eval: true, workerData: this.ring });
  private readonly free: Slot[] = Array.from({ length: RING_SLOTS }, (_, i) => i);
  private waiting: ((slot: Slot) => void) | null = null;
  private finished: ((result: { digest: string; ids: ArrayBuffer }) => void) | null = null;
  private readonly failed: Promise<never>;

  constructor() {
    this.worker.on('message', (m: { free?: Slot; digest?: string; ids?: ArrayBuffer }) => {
      if (m.free === undefined)
        return this.finished?.({ digest: m.digest as string, ids: m.ids as ArrayBuffer });
      const waiter = this.waiting;
      this.waiting = null;
      if (waiter) waiter(m.free);
      else this.free.push(m.free);
    });
    this.failed = new Promise((_, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the hashing thread exited (${code})`)));
    });
    this.failed.catch(() => undefined);
  }

  bytes(slot: Slot): Uint8Array {
    return new Uint8Array(this.ring, slot * READ_CHUNK, READ_CHUNK);
  }

  /** A slot the worker is done with, or null when all are in flight. */
  takeFreeSlot(): Slot | null {
    return this.free.pop() ?? null;
  }

  /** Waits for a slot when all are in flight. */
  freeSlot(): Promise<Slot> {
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return Promise.race([new Promise<Slot>((resolve) => (this.waiting = resolve)), this.failed]);
  }

  /** Hands over the first `length` bytes of `slot`, with the chunk ends in them (absolute offsets). */
  hash(slot: Slot, length: number, cuts: readonly number[]): void {
    this.worker.postMessage({ slot, length, cuts });
  }

  /** The file's hex digest and the chunk ids (32 bytes each, in order). */
  async finish(lastChunk: boolean): Promise<{ digest: string; ids: Uint8Array }> {
    const answer = new Promise<{ digest: string; ids: ArrayBuffer }>((resolve) => (this.finished = resolve));
    this.worker.postMessage({ finish: true, lastChunk });
    const { digest, ids } = await Promise.race([answer, this.failed]);
    return { digest, ids: new Uint8Array(ids) };
  }

  close(): void {
    void this.worker.terminate();
  }
}

export function digestOf(hash: Hash): string {
  return `sha256:${hash.digest('hex')}`;
}

export function sha256(bytes: Uint8Array | string): string {
  return digestOf(createHash('sha256').update(bytes));
}
