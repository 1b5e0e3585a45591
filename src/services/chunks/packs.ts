/**
 * Receiving a chunk pack (`POST /v1/chunks/packs`; the format is src/contract/chunks.ts). The
 * pack streams into storage exactly as sent while every chunk is hashed on the way; it is never
 * held whole in memory: the body is read through one reused 1 MiB buffer (lib/stream-pieces.ts)
 * and each chunk is gathered in one reused 1 MiB buffer for its hash.
 *
 * Write order (the integrity story, as for blobs):
 *  1. the header is read and checked against Content-Length before anything is written;
 *  2. a `packs` row in state `uploading` is inserted BEFORE the bytes go to R2, so an upload that
 *     dies mid-way leaves a row that GC finds and deletes with its object (services/chunks/gc.ts);
 *  3. the bytes stream to R2 while each chunk is hashed; the first chunk that does not hash to
 *     its index entry errors the stream (R2 keeps nothing of a failed put), and the object and the
 *     row are deleted anyway: nothing is kept;
 *  4. one D1 batch makes the pack `live` and points the chunks at it. A chunk already stored in a
 *     live pack keeps its old location (its copy here is dead space that compaction reclaims); one
 *     whose pack is no longer live (retired by compaction, being deleted by GC) is re-pointed here.
 */
import { sql } from 'drizzle-orm';
import { CHUNK_MAX_BYTES, type PackEntry, parsePackHeader } from '../../contract/chunks';
import { type BatchStatement, runBatch } from '../../db/client';
import type { Deps } from '../../deps';
import { toHex } from '../../lib/digest';
import { bytePieces } from '../../lib/stream-pieces';
import type { Principal } from '../auth';
import { limitedTo } from '../blobs';
import type { Failure, Result } from '../result';

export type PackFailure =
  /** Bad magic or count, a length lie, a truncated body: nothing was kept. */
  | Failure<'invalid', { message: string }>
  /** Chunk `index` does not hash to `chunk`: nothing was kept. */
  | Failure<'chunk-mismatch', { index: number; chunk: string }>;

export type PackResult = Result<
  { pack: string; chunks: number; bytes: number; newChunks: number },
  PackFailure
>;

/** Thrown inside the stream to stop the R2 put; turned back into the failure it carries. */
class PackRefused extends Error {
  constructor(readonly failure: PackFailure) {
    super('pack refused');
  }
}

const invalid = (message: string): PackFailure => ({ ok: false, reason: 'invalid', message });

/** Reads pieces until the whole header is in; returns it with any data bytes that came with it. */
async function readHeader(pieces: AsyncIterator<Uint8Array>) {
  let bytes = new Uint8Array(0);
  for (;;) {
    const parsed = parsePackHeader(bytes);
    if (parsed.ok) return { parsed, bytes };
    if (parsed.reason === 'invalid') throw new PackRefused(invalid(parsed.message));
    const { done, value } = await pieces.next();
    if (done) throw new PackRefused(invalid(`the body ends inside the pack header (${bytes.length} bytes)`));
    // A copy: the piece's buffer is reused for the next read.
    const joined = new Uint8Array(bytes.length + value.length);
    joined.set(bytes);
    joined.set(value, bytes.length);
    bytes = joined;
  }
}

/** Hashes the data section chunk by chunk as it passes; throws PackRefused on a mismatch. */
class ChunkVerifier {
  private index = 0;
  private filled = 0;
  /** One buffer for every chunk (the largest there is): nothing allocated per chunk. */
  private readonly buffer = new Uint8Array(CHUNK_MAX_BYTES);

  constructor(private readonly entries: readonly PackEntry[]) {}

  get done(): boolean {
    return this.index >= this.entries.length;
  }

  async feed(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const entry = this.entries[this.index];
      if (!entry) throw new PackRefused(invalid('the body is longer than its header says'));
      const take = Math.min(entry.length - this.filled, bytes.length - at);
      this.buffer.set(bytes.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === entry.length) {
        const actual = toHex(await crypto.subtle.digest('SHA-256', this.buffer.subarray(0, entry.length)));
        if (actual !== entry.hex) {
          throw new PackRefused({ ok: false, reason: 'chunk-mismatch', index: this.index, chunk: entry.hex });
        }
        this.index += 1;
        this.filled = 0;
      }
    }
  }
}

/** Streams a pack of `length` bytes (its Content-Length) into storage; see the header. */
export async function receivePack(
  deps: Deps,
  principal: Principal | null,
  body: ReadableStream<Uint8Array>,
  length: number,
): Promise<PackResult> {
  const pieces = bytePieces(body);
  let header: Awaited<ReturnType<typeof readHeader>>;
  try {
    header = await readHeader(pieces);
  } catch (err) {
    await pieces.return(undefined);
    if (err instanceof PackRefused) return err.failure;
    throw err;
  }
  const { entries, headerBytes, dataBytes } = header.parsed;
  if (headerBytes + dataBytes !== length) {
    await pieces.return(undefined);
    return invalid(`the header describes ${headerBytes + dataBytes} bytes but Content-Length is ${length}`);
  }

  const id = `pk_${crypto.randomUUID().replaceAll('-', '')}`;
  const now = deps.now();
  await runBatch(deps.db, [
    sql`INSERT INTO packs (id, size, chunk_count, state, created_at)
        VALUES (${id}, ${length}, ${entries.length}, 'uploading', ${now})`,
  ]);

  const { readable, writable } = new FixedLengthStream(length);
  const stored = deps.blobs.packs.put(id, readable);
  stored.catch(() => undefined); // awaited below, after the writes
  const writer = writable.getWriter();
  const verifier = new ChunkVerifier(entries);
  try {
    await writer.write(header.bytes.slice(0, headerBytes));
    await verifier.feed(header.bytes.subarray(headerBytes));
    await writer.write(header.bytes.subarray(headerBytes));
    while (!verifier.done) {
      const { done, value } = await pieces.next();
      if (done) throw new PackRefused(invalid('the body ends before the last chunk'));
      await verifier.feed(value);
      // Awaited before the next read reuses the piece's buffer (lib/stream-pieces.ts).
      await writer.write(value);
    }
    await writer.close();
    await stored;
  } catch (err) {
    await writer.abort(err).catch(() => undefined);
    await pieces.return(undefined).catch(() => undefined);
    await stored.catch(() => undefined);
    // R2 keeps nothing of a failed put; delete anyway, then the row (never a row without this order).
    await deps.blobs.packs.delete([id]);
    await runBatch(deps.db, [sql`DELETE FROM packs WHERE id = ${id}`]);
    if (err instanceof PackRefused) return err.failure;
    throw err;
  }

  const newChunks = await commitPack(deps, principal, id, entries, headerBytes);
  return { ok: true, pack: id, chunks: entries.length, bytes: dataBytes, newChunks };
}

/** Step 4 of the header: one batch makes the pack live and its chunks findable. */
async function commitPack(
  deps: Deps,
  principal: Principal | null,
  id: string,
  entries: readonly PackEntry[],
  headerBytes: number,
): Promise<number> {
  const now = deps.now();
  let offset = headerBytes;
  const located = entries.map((e) => {
    const row = [e.hex, offset, e.length];
    offset += e.length;
    return row;
  });
  const json = JSON.stringify(located);
  const namespaces = limitedTo(principal);
  const statements: BatchStatement[] = [
    sql`UPDATE packs SET state = 'live' WHERE id = ${id} AND state = 'uploading' RETURNING id`,
    sql`INSERT INTO chunks (hash, pack_id, pack_offset, length, created_at)
        SELECT j.value ->> 0, ${id}, j.value ->> 1, j.value ->> 2, ${now} FROM json_each(${json}) j
        WHERE EXISTS (SELECT 1 FROM packs WHERE id = ${id} AND state = 'live')
        ON CONFLICT (hash) DO UPDATE SET
          pack_id = excluded.pack_id, pack_offset = excluded.pack_offset, created_at = excluded.created_at
        WHERE (SELECT p.state FROM packs p WHERE p.id = chunks.pack_id) IS NOT 'live'
        RETURNING hash`,
  ];
  if (namespaces !== null) {
    statements.push(
      sql`INSERT INTO chunk_grants (namespace, hash, created_at)
          SELECT n.value, j.value ->> 0, ${now} FROM json_each(${namespaces}) n, json_each(${json}) j
          WHERE true ON CONFLICT (namespace, hash) DO NOTHING`,
    );
  }
  const [live, inserted] = await runBatch(deps.db, statements);
  // Only GC removes an `uploading` row, and only a day after it was written: a broken invariant.
  if (!live || live.length === 0) throw new Error(`pack ${id} vanished while it was being stored`);
  return new Set((inserted ?? []).map((r) => String(r.hash))).size;
}
