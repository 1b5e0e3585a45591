/**
 * OCI upload sessions (`/v2/{name}/blobs/uploads/`). An OCI client names the digest only when it
 * completes (`PUT ?digest=`), and its chunks (`PATCH` bodies) are any size: so bytes cannot go to
 * their blob key as they arrive, nor into an R2 multipart upload (created at the final key, with
 * parts that must be equal-sized and ≥ 5 MiB). Instead:
 *   1. each chunk, in order, streams through the session's resumable SHA-256 into a staged
 *      object (BlobStore.staging, `<session id>/<n>`); the new hash state and offset are committed
 *      in D1 only after the store accepted the chunk;
 *   2. completing finalizes the hash and compares it with the named digest BEFORE anything is
 *      written at the blob's key: a mismatch drops the session and its staged chunks;
 *   3. on a match, under a write intent, the store adopts the staged chunks as the blob where
 *      they lie (staged.ts; no second write), and `registerBlob` makes it visible
 *      (services/blobs.ts: the same fences against GC and multipart completions as /v1). An
 *      upload of more chunks than the store can point at is copied into one verified `put`.
 * Constant memory throughout: neither a chunk nor a blob is ever held whole. The limit is
 * one R2 object write, MAX_OCI_BLOB_BYTES. A session whose whole blob comes with the PUT (the
 * digest known before a byte is read) skips staging: one verified put, as on /v1.
 *
 * A PATCH without a length (chunked transfer encoding: podman and docker compress a layer as they
 * send it) is staged in pieces of PIECE_BYTES as it streams (R2 wants each object's length up
 * front), one piece in memory at a time, and refused past one request's limit.
 *
 * One request at a time owns a session: a chunk write or the completion takes a lease with one
 * conditional UPDATE that also checks the offset the request starts at, so chunks out of order,
 * or sent concurrently, are refused and never staged.
 */
import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import { type Digest, hexOf } from '../../contract/grammar';
import { type OciUploadRow, ociUploads } from '../../db/schema';
import type { Deps } from '../../deps';
import { base64url } from '../../lib/cursor';
import type { ResumableSha256 } from '../../lib/resumable-sha256';
import type { Principal } from '../auth';
import { storeBlob } from '../blobs';
import type { Failure, Result } from '../result';
import { pumpThroughHasher } from '../uploads/parts';
import { chunkKey, stagedKeys, storeStaged } from './staged';
import { type ByteSink, nativeHash, resumable, stagedHex } from './upload-hash';

/** One R2 object write (R2 refuses a single put above ~5 GiB). */
export const MAX_OCI_BLOB_BYTES = 5 * 1000 * 1024 * 1024;
/** How long a chunk write or a completion owns the session; a retry after that takes over. */
const LEASE_MS = 10 * 60_000;

export type OciUploadUnknown = Failure<'upload-unknown', { uploadId: string }>;
/** The chunk does not start where the session ends (`size`): out of order, or a re-send. */
export type OutOfOrder = Failure<'out-of-order', { size: number }>;
/** Another request is writing a chunk of this session (or completing it) right now. */
export type UploadBusy = Failure<'upload-busy', { uploadId: string }>;

type Claim = Result<{ row: OciUploadRow }, OciUploadUnknown | OutOfOrder | UploadBusy>;

export async function startOciUpload(deps: Deps, repo: string, principal: Principal): Promise<OciUploadRow> {
  const now = deps.now();
  const row: OciUploadRow = {
    id: `oci_${base64url(crypto.getRandomValues(new Uint8Array(16)))}`,
    repo,
    size: 0,
    chunks: 0,
    hashState: null,
    leaseUntil: null,
    createdBy: principal.id,
    createdAt: now,
    expiresAt: now + deps.config.uploadTtlMs,
  };
  await deps.db.insert(ociUploads).values(row);
  return row;
}

/** A live session of `repo` (sessions of other repositories are unknown here). */
export async function findOciUpload(
  deps: Deps,
  repo: string,
  uploadId: string,
): Promise<Result<{ row: OciUploadRow }, OciUploadUnknown>> {
  const row = await deps.db.query.ociUploads.findFirst({
    where: and(eq(ociUploads.id, uploadId), eq(ociUploads.repo, repo), gt(ociUploads.expiresAt, deps.now())),
  });
  return row ? { ok: true, row } : { ok: false, reason: 'upload-unknown', uploadId };
}

/** Takes the session's lease if it is free and ends at `start` (any offset when undefined). */
async function claim(deps: Deps, repo: string, uploadId: string, start: number | undefined): Promise<Claim> {
  const now = deps.now();
  const found = await findOciUpload(deps, repo, uploadId);
  if (!found.ok) return found;
  const at = start ?? found.row.size;
  if (at !== found.row.size) return { ok: false, reason: 'out-of-order', size: found.row.size };
  const [row] = await deps.db
    .update(ociUploads)
    .set({ leaseUntil: now + LEASE_MS })
    .where(
      and(
        eq(ociUploads.id, uploadId),
        eq(ociUploads.size, at),
        or(isNull(ociUploads.leaseUntil), lt(ociUploads.leaseUntil, now)),
      ),
    )
    .returning();
  if (row) return { ok: true, row };
  const again = await findOciUpload(deps, repo, uploadId);
  if (!again.ok) return again;
  if (again.row.size !== at) return { ok: false, reason: 'out-of-order', size: again.row.size };
  return { ok: false, reason: 'upload-busy', uploadId };
}

async function release(deps: Deps, uploadId: string): Promise<void> {
  await deps.db.update(ociUploads).set({ leaseUntil: null }).where(eq(ociUploads.id, uploadId));
}

/** A chunk of unknown length (a chunked PATCH body) is staged in pieces of this size. */
export const PIECE_BYTES = 16 * 1024 * 1024;

/** A chunked PATCH body ran past one request's limit: nothing of it is kept. */
class ChunkTooLarge extends Error {}

/**
 * Stages a body of unknown length (chunked transfer encoding: podman and docker compress a layer
 * as they send it, so they cannot say its length) as consecutive staged objects of PIECE_BYTES
 * (R2 needs each object's length up front): one piece in memory at a time, hashed on the way.
 * The keys written are pushed to `keys` as they are, so a failure can delete them.
 */
async function stagePieces(
  deps: Deps,
  row: OciUploadRow,
  body: ReadableStream<Uint8Array>,
  hasher: ByteSink,
  limit: number,
  keys: string[],
): Promise<number> {
  const reader = body.getReader();
  const piece = new Uint8Array(PIECE_BYTES);
  let filled = 0;
  let total = 0;
  const flush = async () => {
    if (filled === 0) return;
    const key = chunkKey(row.id, row.chunks + keys.length + 1);
    keys.push(key);
    const bytes = piece.subarray(0, filled);
    // `piece` is filled again after this: its bytes must be hashed (and stored) first.
    await hasher.update(bytes);
    await deps.blobs.staging.put(key, bytes);
    filled = 0;
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ChunkTooLarge();
    }
    for (let at = 0; at < value.byteLength; ) {
      const take = Math.min(PIECE_BYTES - filled, value.byteLength - at);
      piece.set(value.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === PIECE_BYTES) await flush();
    }
  }
  await flush();
  return total;
}

/**
 * Stages one chunk of a claimed session, hashing it on the way; returns the committed row. The
 * commit hands the lease back, unless the caller goes on holding it (a completion). A chunk of
 * unknown length (`length` null) is staged in pieces (stagePieces), at most `limit` bytes.
 */
async function stageChunk(
  deps: Deps,
  row: OciUploadRow,
  body: ReadableStream<Uint8Array>,
  length: number | null,
  lease: 'release' | 'keep' = 'release',
  limit = Number.POSITIVE_INFINITY,
): Promise<OciUploadRow> {
  // The first chunk is hashed natively (most clients send only one), later ones resumably.
  const native = row.chunks === 0 ? nativeHash() : null;
  const hasher = native ?? (await resumable(deps, row));
  const keys: string[] = [];
  try {
    let size = length ?? 0;
    if (length === null) size = await stagePieces(deps, row, body, hasher, limit, keys);
    else {
      const fixed = new FixedLengthStream(length);
      keys.push(chunkKey(row.id, row.chunks + 1));
      await Promise.all([
        deps.blobs.staging.put(keys[0]!, fixed.readable),
        pumpThroughHasher(body, fixed.writable, hasher, async () => true),
      ]);
    }
    const n = row.chunks + keys.length;
    const [committed] = await deps.db
      .update(ociUploads)
      // Committing the chunk hands the lease back in the same statement: nothing can leave the
      // session locked after its chunk was accepted.
      .set({
        size: row.size + size,
        chunks: n,
        hashState: native ? await native.state() : (hasher as ResumableSha256).serialize(),
        ...(lease === 'release' ? { leaseUntil: null } : {}),
      })
      .where(and(eq(ociUploads.id, row.id), eq(ociUploads.chunks, row.chunks)))
      .returning();
    if (!committed) throw new Error(`upload ${row.id} changed while it was leased`);
    return committed;
  } catch (err) {
    await deps.blobs.staging.delete(keys).catch(() => undefined);
    throw err;
  }
}

export type AppendResult = Result<
  { row: OciUploadRow },
  | OciUploadUnknown
  | OutOfOrder
  | UploadBusy
  /** A chunk sent without Content-Length went past one request's limit: nothing of it was kept. */
  | Failure<'chunk-too-large', { limit: number }>
>;

/**
 * PATCH: appends one chunk starting at `start` (the session's end when the client did not say);
 * `length` null: a chunked body, at most `limit` bytes (refused past it, nothing kept).
 */
export async function appendChunk(
  deps: Deps,
  repo: string,
  uploadId: string,
  start: number | undefined,
  body: ReadableStream<Uint8Array> | null,
  length: number | null,
  limit = Number.POSITIVE_INFINITY,
): Promise<AppendResult> {
  if (!body || length === 0) {
    // An empty chunk changes nothing: only where it claims to start is checked.
    const found = await findOciUpload(deps, repo, uploadId);
    if (!found.ok) return found;
    const at = start ?? found.row.size;
    return at === found.row.size ? found : { ok: false, reason: 'out-of-order', size: found.row.size };
  }
  const claimed = await claim(deps, repo, uploadId, start);
  if (!claimed.ok) return claimed;
  try {
    return { ok: true, row: await stageChunk(deps, claimed.row, body, length, 'release', limit) };
  } catch (err) {
    await release(deps, uploadId).catch(() => undefined);
    if (err instanceof ChunkTooLarge) return { ok: false, reason: 'chunk-too-large', limit };
    throw err;
  }
}

export type OciCompleteFailure =
  | OciUploadUnknown
  | OutOfOrder
  | UploadBusy
  /** The bytes received do not hash to the digest named: the session and its chunks are gone. */
  | Failure<'digest-mismatch', { size: number }>
  | Failure<'too-large', { size: number; limit: number }>
  /** The digest is stored with another size (a SHA-256 collision, or a corrupt row). */
  | Failure<'size-mismatch', { storedSize: number }>
  | Failure<'being-deleted'>
  | Failure<'assembly-in-progress'>;

export type OciCompleteResult = Result<{ size: number; created: boolean }, OciCompleteFailure>;

/** PUT ?digest=: the last chunk (if any), the digest check, then the blob (see the header). */
export async function completeOciUpload(
  deps: Deps,
  repo: string,
  uploadId: string,
  digest: Digest,
  principal: Principal,
  last: { body: ReadableStream<Uint8Array> | null; length: number; start?: number | undefined },
): Promise<OciCompleteResult> {
  const claimed = await claim(deps, repo, uploadId, last.start);
  if (!claimed.ok) return claimed;
  let row = claimed.row;
  try {
    if (row.size + last.length > MAX_OCI_BLOB_BYTES) {
      await dropOciUpload(deps, row);
      return { ok: false, reason: 'too-large', size: row.size + last.length, limit: MAX_OCI_BLOB_BYTES };
    }
    if (row.chunks === 0 && last.body && last.length > 0) {
      // The whole blob in the PUT (POST, then PUT ?digest= with the body, as oras does): the digest
      // is known before a byte is read, so it goes straight to its key through /v1's verified put.
      const stored = await storeBlob(deps, digest, last.body, last.length, principal);
      await dropOciUpload(deps, row);
      if (stored.ok) return { ok: true, size: stored.size, created: stored.created };
      return stored.reason === 'digest-mismatch' ? { ...stored, size: last.length } : stored;
    }
    if (last.body && last.length > 0) row = await stageChunk(deps, row, last.body, last.length, 'keep');
    if ((await stagedHex(deps, row)) !== hexOf(digest)) {
      await dropOciUpload(deps, row);
      return { ok: false, reason: 'digest-mismatch', size: row.size };
    }
    const { result, sessionGone } = await storeStaged(deps, row, digest, principal);
    if (!sessionGone && (result.ok || result.reason !== 'assembly-in-progress'))
      await dropOciUpload(deps, row);
    return result;
  } finally {
    await release(deps, uploadId).catch(() => undefined);
  }
}

/** Deletes a session's staged chunks, then its row. */
async function dropOciUpload(deps: Deps, row: Pick<OciUploadRow, 'id' | 'chunks'>): Promise<void> {
  const keys = stagedKeys(row.id, row.chunks);
  await deps.blobs.staging.delete(keys);
  await deps.db.delete(ociUploads).where(eq(ociUploads.id, row.id));
}

/** DELETE: cancels a session (refused while a request is writing to it). */
export async function cancelOciUpload(
  deps: Deps,
  repo: string,
  uploadId: string,
): Promise<Result<object, OciUploadUnknown | OutOfOrder | UploadBusy>> {
  const claimed = await claim(deps, repo, uploadId, undefined);
  if (!claimed.ok) return claimed;
  await dropOciUpload(deps, claimed.row);
  return { ok: true };
}

/** Drops sessions past their expiry and their staged chunks (cron, via gc.ts). */
export async function expireOciUploads(deps: Deps, max = 200): Promise<number> {
  const now = deps.now();
  const stale = await deps.db
    .select()
    .from(ociUploads)
    .where(
      and(lt(ociUploads.expiresAt, now), or(isNull(ociUploads.leaseUntil), lt(ociUploads.leaseUntil, now))),
    )
    .limit(max);
  for (const row of stale) await dropOciUpload(deps, row);
  return stale.length;
}

/** For status answers: `Range: 0-<last byte>` (distribution answers `0-0` while empty). */
export function rangeOf(row: Pick<OciUploadRow, 'size'>): string {
  return `0-${Math.max(row.size - 1, 0)}`;
}
