/**
 * `BlobStore`: the one interface that owns every byte Cairn stores. Readers and writers name a
 * digest (and a range), never a key or a bucket: how a blob is laid out (one R2 object today,
 * pieces reassembled tomorrow) is the implementation's business. Implementations:
 *   - r2-blob-store.ts      R2, the production store (the only module that knows R2 keys);
 *   - memory-blob-store.ts  in memory, for tests and tools.
 * test/unit/blob-store-contract.test.ts runs one contract suite against both.
 *
 * What the store guarantees, and what it leaves to the services:
 *   - `put` is verified: bytes that do not hash to the digest are refused and nothing is kept.
 *   - a multipart `assemble` is NOT verified (R2 cannot check a whole-object SHA-256 of an
 *     assembly): the caller verifies the assembled bytes (services/uploads/) before anything
 *     makes them visible, and deletes them on a mismatch.
 *   - `get` says whether the store itself vouches for the bytes (`verified`): true when they
 *     were written by a verified `put`; false for an assembly, whose check is the caller's.
 *   - visibility (which blobs exist for the API) lives in D1 (services/blobs.ts), not here.
 *   - `staging` holds bytes whose digest is not known yet (an OCI upload's chunks, which arrive
 *     before the client names the digest): never a blob, never served; services/oci/uploads.ts
 *     hashes them as they arrive and, once the digest is named and matches, `adopt`s them: the
 *     staged objects become the blob's bytes where they lie (no second write; R2 has no
 *     server-side copy). Like an assembly, an adoption is not verified by the store: the caller
 *     hashed every byte on its way in (see `StagingStore.adopt`).
 *   - `packs` holds chunk packs (services/chunks/packs.ts verifies every chunk while the pack
 *     streams in; D1 says which packs are live). A blob stored as a recipe of chunks has no
 *     object of its own: chunked-blob-store.ts layers it over this interface, so `get` reads it
 *     from its packs and no reader knows the difference.
 */
import { type Digest, hexOf } from '../contract/grammar';
import { sha256OfStream } from '../lib/digest';

/** Bytes to store: a stream (of a known length, for R2) or bytes in memory. */
export type BlobBody = ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array | string;

export interface ByteRange {
  offset: number;
  length: number;
}

export interface BlobRead {
  /** The bytes asked for: the whole blob, or the range. */
  body: ReadableStream<Uint8Array>;
  /** The whole blob's size (not the range's). */
  size: number;
  /** The store itself proved these bytes hash to the digest (see the header). */
  verified: boolean;
}

export interface BlobInfo {
  size: number;
  uploaded: Date;
  verified: boolean;
}

export interface StoredBlob {
  digest: Digest;
  size: number;
  uploaded: Date;
}

export interface BlobPage {
  blobs: StoredBlob[];
  /** Where the next page starts (pass it as `after`); null at the end of the digest space. */
  next: string | null;
}

export type PutOutcome = { ok: true; size: number } | { ok: false; reason: 'digest-mismatch' };

export type PartOutcome = { ok: true; etag: string } | { ok: false; reason: 'upload-unknown' };

export type AssembleOutcome =
  | { ok: true; size: number }
  /** The store no longer knows the upload (completed or aborted before). */
  | { ok: false; reason: 'upload-unknown' }
  /** A named part is not the one the store kept (e.g. a part re-sent concurrently). */
  | { ok: false; reason: 'parts-invalid' };

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/**
 * Large blobs arrive in parts (each one request) and are assembled at the digest. An upload is
 * named by the id `create` returns, together with its digest.
 */
export interface MultipartStore {
  create(digest: Digest): Promise<string>;
  /** Stores part `partNumber` (a stream must be of known length: e.g. a FixedLengthStream). */
  putPart(
    digest: Digest,
    uploadId: string,
    partNumber: number,
    body: ReadableStream<Uint8Array> | ArrayBuffer,
  ): Promise<PartOutcome>;
  /** Joins the parts, in the order given, into the blob's bytes. Unverified: see the header. */
  assemble(digest: Digest, uploadId: string, parts: readonly UploadedPart[]): Promise<AssembleOutcome>;
  /** Drops an upload and its parts; an upload the store no longer knows is already gone. */
  abort(digest: Digest, uploadId: string): Promise<void>;
}

/** A staging key: an upload id, optionally `/` and a chunk number (`oci_ab12…/3`). */
export const STAGING_KEY_RE = /^[A-Za-z0-9_-]{1,128}(?:\/\d{1,9})?$/;

/**
 * Bytes staged under a key until their digest is known (see the header). A body stream must be
 * of known length (e.g. a FixedLengthStream), as for `put`.
 */
export interface StagingStore {
  put(key: string, body: ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array): Promise<void>;
  /** The staged bytes, streamed; null when absent. */
  get(key: string): Promise<ReadableStream<Uint8Array> | null>;
  /** Deletes every listed key; absent ones are ignored. */
  delete(keys: readonly string[]): Promise<void>;
  /**
   * The staged `keys`, concatenated in order, become the bytes of `digest` without being
   * rewritten: `get`/`head`/`list` serve them as the blob (unverified, like an assembly: the
   * caller hashed them as they were staged), and deleting the blob deletes them. From then on
   * they belong to the blob: the caller must not delete them. `unsupported` (too many keys for
   * the store to point at): nothing changed, the caller copies the bytes with a verified `put`.
   */
  adopt(digest: Digest, keys: readonly string[]): Promise<AdoptOutcome>;
  /**
   * For a writer that died between taking staged `keys` from their session and registering
   * `digest`: deletes them, unless `digest` is stored as their adoption (then they are the
   * blob's, and go when it goes). Never deletes bytes a blob points at.
   */
  release(digest: Digest, keys: readonly string[]): Promise<'kept' | 'deleted'>;
}

export type AdoptOutcome =
  | { ok: true; size: number }
  | { ok: false; reason: 'staging-missing' | 'unsupported' };

/** A pack id: `pk_` and up to 64 id characters. */
export const PACK_ID_RE = /^pk_[A-Za-z0-9_-]{1,64}$/;

/** Chunk packs by id (see the header). A body stream must be of known length, as for `put`. */
export interface PackStore {
  put(id: string, body: ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array): Promise<void>;
  /** The pack's bytes (or a range inside it), streamed; null when absent. */
  get(id: string, range?: ByteRange): Promise<ReadableStream<Uint8Array> | null>;
  /** Deletes every listed pack; absent ones are ignored. */
  delete(ids: readonly string[]): Promise<void>;
}

export interface BlobStore {
  put(digest: Digest, body: BlobBody): Promise<PutOutcome>;
  /** The blob's bytes (or a range of them, which must lie inside the blob); null when absent. */
  get(digest: Digest, range?: ByteRange): Promise<BlobRead | null>;
  head(digest: Digest): Promise<BlobInfo | null>;
  /** Deletes the bytes of every listed blob; absent ones are ignored. */
  delete(digests: readonly Digest[]): Promise<void>;
  /**
   * One page of stored blobs in digest order, after `after` (a hex prefix of a digest, or ''),
   * so a scan can start anywhere in the digest space.
   */
  list(after: string, limit?: number): Promise<BlobPage>;
  readonly multipart: MultipartStore;
  readonly staging: StagingStore;
  readonly packs: PackStore;
}

/** Re-hashes a stored blob by streaming it (never held in memory); null when absent. */
export async function hashStored(
  store: BlobStore,
  digest: Digest,
): Promise<{ matches: boolean; size: number } | null> {
  const read = await store.get(digest);
  if (!read) return null;
  return { matches: (await sha256OfStream(read.body)) === hexOf(digest), size: read.size };
}
