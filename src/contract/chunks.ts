/**
 * Chunk-level dedup on the wire (docs/API.md "Chunked uploads"): the pack format a client sends
 * to `POST /v1/chunks/packs` and the limits both sides enforce. Pure: the CLI builds packs with
 * `encodePackHeader`, the Worker reads them with `parsePackHeader`, so the two can never disagree
 * on a byte.
 *
 * A pack, `application/vnd.cairn.chunk-pack.v1`:
 *
 *   magic     8 bytes   ASCII "CAIRNPK1"
 *   count     u32 BE    number of chunks N, 1 ≤ N ≤ PACK_MAX_CHUNKS
 *   index     N × 36    per chunk: its SHA-256 (32 raw bytes), then its length (u32 BE,
 *                       1 ≤ length ≤ CHUNK_MAX_BYTES)
 *   data      Σ length  the chunks' bytes, concatenated in index order
 *
 * The whole request is `packHeaderBytes(N) + Σ length` bytes, at most PACK_MAX_BYTES. Many
 * chunks go in one pack because R2 charges per operation: one object per 64 KiB chunk would cost
 * more in writes than dedup saves in bytes.
 */

export const PACK_MEDIA_TYPE = 'application/vnd.cairn.chunk-pack.v1';
export const PACK_MAGIC = 'CAIRNPK1';
/** Largest chunk a pack (or a recipe) may name; content-defined chunkers cap chunks far below. */
export const CHUNK_MAX_BYTES = 1024 * 1024;
/** Most chunks in one pack. */
export const PACK_MAX_CHUNKS = 4096;
/** Largest pack request (header + data): below the Workers request-body limit with room to spare. */
export const PACK_MAX_BYTES = 64 * 1024 * 1024;

const FIXED_BYTES = 12;
const ENTRY_BYTES = 36;

export interface PackEntry {
  /** The chunk's SHA-256, 64 lowercase hex characters. */
  hex: string;
  length: number;
}

/** Bytes of a pack's header (magic, count, index) for `count` chunks. */
export function packHeaderBytes(count: number): number {
  return FIXED_BYTES + ENTRY_BYTES * count;
}

export function encodePackHeader(entries: readonly PackEntry[]): Uint8Array {
  if (entries.length < 1 || entries.length > PACK_MAX_CHUNKS)
    throw new RangeError(`a pack holds 1 to ${PACK_MAX_CHUNKS} chunks`);
  const out = new Uint8Array(packHeaderBytes(entries.length));
  const view = new DataView(out.buffer);
  for (let i = 0; i < PACK_MAGIC.length; i++) out[i] = PACK_MAGIC.charCodeAt(i);
  view.setUint32(8, entries.length);
  entries.forEach((entry, i) => {
    if (!/^[0-9a-f]{64}$/.test(entry.hex)) throw new RangeError(`chunk ${i}: not a SHA-256 hex digest`);
    if (!Number.isInteger(entry.length) || entry.length < 1 || entry.length > CHUNK_MAX_BYTES) {
      throw new RangeError(`chunk ${i}: length must be 1 to ${CHUNK_MAX_BYTES}`);
    }
    const at = FIXED_BYTES + ENTRY_BYTES * i;
    for (let b = 0; b < 32; b++) out[at + b] = Number.parseInt(entry.hex.slice(2 * b, 2 * b + 2), 16);
    view.setUint32(at + 32, entry.length);
  });
  return out;
}

export type PackHeaderParse =
  | { ok: true; entries: PackEntry[]; headerBytes: number; dataBytes: number }
  /** More bytes are needed before the header can be read: at least `need` in all. */
  | { ok: false; reason: 'short'; need: number }
  | { ok: false; reason: 'invalid'; message: string };

/**
 * Reads a pack header from the first bytes of a pack (any prefix: a streaming reader calls it
 * again with more bytes while it answers `short`).
 */
export function parsePackHeader(bytes: Uint8Array): PackHeaderParse {
  if (bytes.length < FIXED_BYTES) return { ok: false, reason: 'short', need: FIXED_BYTES };
  for (let i = 0; i < PACK_MAGIC.length; i++) {
    if (bytes[i] !== PACK_MAGIC.charCodeAt(i))
      return { ok: false, reason: 'invalid', message: `a pack starts with "${PACK_MAGIC}"` };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8);
  if (count < 1 || count > PACK_MAX_CHUNKS) {
    return {
      ok: false,
      reason: 'invalid',
      message: `a pack holds 1 to ${PACK_MAX_CHUNKS} chunks, not ${count}`,
    };
  }
  const headerBytes = packHeaderBytes(count);
  if (bytes.length < headerBytes) return { ok: false, reason: 'short', need: headerBytes };
  const entries: PackEntry[] = [];
  let dataBytes = 0;
  for (let i = 0; i < count; i++) {
    const at = FIXED_BYTES + ENTRY_BYTES * i;
    let hex = '';
    for (let b = 0; b < 32; b++) hex += (bytes[at + b] as number).toString(16).padStart(2, '0');
    const length = view.getUint32(at + 32);
    if (length < 1 || length > CHUNK_MAX_BYTES) {
      return {
        ok: false,
        reason: 'invalid',
        message: `chunk ${i}: length ${length} is not 1 to ${CHUNK_MAX_BYTES}`,
      };
    }
    entries.push({ hex, length });
    dataBytes += length;
  }
  if (headerBytes + dataBytes > PACK_MAX_BYTES) {
    return { ok: false, reason: 'invalid', message: `a pack is at most ${PACK_MAX_BYTES} bytes` };
  }
  return { ok: true, entries, headerBytes, dataBytes };
}

/** Most chunk ids one `POST /v1/chunks/known` may ask about. */
export const KNOWN_MAX_CHUNKS = 10_000;
/**
 * Most chunks one recipe (`PUT /v1/blobs/{digest}/recipe`) may list: 16 GiB at the 64 KiB
 * average. The recipe body is JSON of ~75 bytes per chunk, parsed whole by the Worker, so this
 * bounds its memory; RECIPE_MAX_BODY_BYTES is the matching body limit.
 */
export const RECIPE_MAX_CHUNKS = 262_144;
export const RECIPE_MAX_BODY_BYTES = 24 * 1024 * 1024;
/** A chunk id: the SHA-256 of the chunk's bytes, 64 lowercase hex characters (no `sha256:`). */
export const CHUNK_ID_RE = /^[0-9a-f]{64}$/;
