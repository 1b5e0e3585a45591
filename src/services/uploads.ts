/**
 * Multipart uploads for blobs above the single-request limit, on R2 multipart with the session
 * in D1 so any request (and any client restart) can resume it.
 *
 * Integrity story (DESIGN invariant 2):
 * 1. Parts are stored by R2 as they arrive; each part's size is checked against the plan, so the
 *    assembled size is known to be the declared size before assembly.
 * 2. `complete` first takes a lease on the session with one conditional UPDATE, so exactly one
 *    request assembles it; a crashed completer's lease runs out and a retry takes over.
 * 3. R2 assembles the object at the blob's key. R2 parts carry no checksum, so the assembled
 *    object is streamed back through SHA-256 (native DigestStream, constant memory).
 * 4. Only on a match does one D1 batch insert the `blobs` row (making the blob visible) and drop
 *    the session. On a mismatch the object is deleted; no row ever pointed at it.
 * One session per digest (a unique index) keeps two assemblies from writing the same key, and
 * while the lease is held a single PUT of the same digest may store bytes but cannot register
 * them (services/blobs.ts registerBlob): the lease check and the row insert are one statement,
 * so a row either exists before the lease (and `complete` sees it and never assembles) or waits
 * until the lease is gone. A mismatching assembly can therefore be deleted without ever
 * removing bytes that a visible row points to.
 */
import { and, asc, eq, lt, or } from 'drizzle-orm';
import { R2_MAX_PARTS } from '../config';
import type { Db } from '../db/client';
import { blobs, type UploadRow, uploadParts, uploads } from '../db/schema';
import { ApiError } from '../errors';
import { base64url } from '../lib/cursor';
import { type Digest, hexOf } from '../lib/digest';
import {
  abortMultipart,
  completeMultipart,
  createMultipart,
  deleteBlob,
  hashStoredBlob,
  headBlob,
  uploadPart,
} from '../storage/blob-store';
import { findBlob } from './blobs';

const MiB = 1024 * 1024;
/** How long one complete call owns a session; a retry after that takes over. */
export const COMPLETE_LEASE_MS = 5 * 60_000;

export interface UploadDeps {
  db: Db;
  bucket: R2Bucket;
  now?: number;
}

export interface UploadLimits {
  partSize: number;
  maxPartSize: number;
  ttlMs: number;
}

export interface UploadView {
  uploadId: string;
  digest: string;
  size: number;
  partSize: number;
  partCount: number;
  parts: number[];
  expiresAt: string;
}

/** The part size for a blob: the configured one, grown so the blob fits in R2's 10,000 parts. */
export function planParts(size: number, limits: Pick<UploadLimits, 'partSize' | 'maxPartSize'>) {
  const needed = Math.ceil(Math.ceil(size / R2_MAX_PARTS) / MiB) * MiB;
  const partSize = Math.max(limits.partSize, needed);
  if (partSize > limits.maxPartSize) {
    throw new ApiError(
      'BLOB_TOO_LARGE',
      `a blob of ${size} bytes needs parts larger than the ${limits.maxPartSize}-byte request limit`,
      { size, maxSize: limits.maxPartSize * R2_MAX_PARTS },
    );
  }
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

function view(row: UploadRow, parts: number[]): UploadView {
  return {
    uploadId: row.id,
    digest: row.digest,
    size: row.size,
    partSize: row.partSize,
    partCount: row.partCount,
    parts,
    expiresAt: new Date(row.expiresAt).toISOString(),
  };
}

async function receivedParts(db: Db, uploadId: string) {
  return db
    .select({ partNumber: uploadParts.partNumber, size: uploadParts.size, etag: uploadParts.etag })
    .from(uploadParts)
    .where(eq(uploadParts.uploadId, uploadId))
    .orderBy(asc(uploadParts.partNumber));
}

async function dropSession(deps: UploadDeps, row: UploadRow): Promise<void> {
  await abortMultipart(deps.bucket, row.digest as Digest, row.r2UploadId);
  await deps.db.delete(uploads).where(eq(uploads.id, row.id));
}

const isLeased = (row: UploadRow, now: number) =>
  row.state === 'completing' && row.leaseUntil !== null && row.leaseUntil > now;

/** Loads a live session: 404 when unknown, 410 (and cleaned up) when expired. */
async function liveSession(deps: UploadDeps, uploadId: string): Promise<UploadRow> {
  const now = deps.now ?? Date.now();
  const row = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
  if (!row) throw new ApiError('UPLOAD_UNKNOWN', `no upload ${uploadId}`, { uploadId });
  if (row.expiresAt <= now && !isLeased(row, now)) {
    await dropSession(deps, row);
    throw new ApiError('UPLOAD_EXPIRED', `upload ${uploadId} expired; start a new one`, { uploadId });
  }
  return row;
}

export type StartResult =
  | { kind: 'exists'; digest: string; size: number }
  | { kind: 'created' | 'resumed'; upload: UploadView };

export async function startUpload(
  deps: UploadDeps,
  limits: UploadLimits,
  input: { digest: Digest; size: number; partSize?: number | undefined },
  createdBy: string,
): Promise<StartResult> {
  const now = deps.now ?? Date.now();
  const stored = await findBlob(deps.db, input.digest);
  if (stored) return { kind: 'exists', digest: stored.digest, size: stored.size };

  const plan = planParts(input.size, { ...limits, partSize: input.partSize ?? limits.partSize });
  const current = await deps.db.query.uploads.findFirst({ where: eq(uploads.digest, input.digest) });
  if (current) {
    if (current.expiresAt <= now && !isLeased(current, now)) {
      await dropSession(deps, current);
    } else if (
      current.size === input.size &&
      (input.partSize === undefined || input.partSize === current.partSize)
    ) {
      // Same blob, same plan: hand back the open session so an interrupted client resumes it.
      const parts = await receivedParts(deps.db, current.id);
      return {
        kind: 'resumed',
        upload: view(
          current,
          parts.map((p) => p.partNumber),
        ),
      };
    } else {
      throw new ApiError(
        'UPLOAD_IN_PROGRESS',
        `an upload of ${input.digest} with another plan is in progress`,
        {
          uploadId: current.id,
          size: current.size,
          partSize: current.partSize,
        },
      );
    }
  }

  const r2UploadId = await createMultipart(deps.bucket, input.digest);
  const row: UploadRow = {
    id: `upl_${base64url(crypto.getRandomValues(new Uint8Array(16)))}`,
    digest: input.digest,
    size: input.size,
    ...plan,
    r2UploadId,
    state: 'open',
    leaseUntil: null,
    hashedThrough: 0,
    hashState: null,
    hashClaim: null,
    createdBy,
    createdAt: now,
    expiresAt: now + limits.ttlMs,
  };
  const inserted = await deps.db
    .insert(uploads)
    .values(row)
    .onConflictDoNothing()
    .returning({ id: uploads.id });
  if (inserted.length === 0) {
    // Another request started the same digest a moment ago: join its session instead.
    await abortMultipart(deps.bucket, input.digest, r2UploadId);
    return startUpload(deps, limits, input, createdBy);
  }
  return { kind: 'created', upload: view(row, []) };
}

export async function getUpload(deps: UploadDeps, uploadId: string): Promise<UploadView> {
  const row = await liveSession(deps, uploadId);
  const parts = await receivedParts(deps.db, uploadId);
  return view(
    row,
    parts.map((p) => p.partNumber),
  );
}

export function expectedPartSize(row: Pick<UploadRow, 'size' | 'partSize' | 'partCount'>, n: number): number {
  return n < row.partCount ? row.partSize : row.size - row.partSize * (row.partCount - 1);
}

export async function receivePart(
  deps: UploadDeps,
  uploadId: string,
  partNumber: number,
  body: ReadableStream | null,
  length: number,
): Promise<{ part: number; size: number }> {
  const row = await liveSession(deps, uploadId);
  if (row.state !== 'open') {
    throw new ApiError('UPLOAD_IN_PROGRESS', `upload ${uploadId} is being completed; parts are closed`);
  }
  if (partNumber > row.partCount) {
    throw new ApiError('PART_INVALID', `part ${partNumber} is past the last part (${row.partCount})`, {
      partCount: row.partCount,
    });
  }
  const expected = expectedPartSize(row, partNumber);
  if (length !== expected) {
    throw new ApiError('SIZE_INVALID', `part ${partNumber} must be ${expected} bytes, got ${length}`, {
      expected,
      got: length,
    });
  }
  let etag: string;
  try {
    etag = await uploadPart(
      deps.bucket,
      row.digest as Digest,
      row.r2UploadId,
      partNumber,
      body ?? new ArrayBuffer(0),
    );
  } catch (err) {
    // Aborted or expired between our check and R2's write: report the session's fate, not a 500.
    const still = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
    if (!still)
      throw new ApiError('UPLOAD_UNKNOWN', `upload ${uploadId} was aborted or expired`, { uploadId });
    throw err;
  }
  try {
    await deps.db
      .insert(uploadParts)
      .values({ uploadId, partNumber, size: length, etag })
      .onConflictDoUpdate({
        target: [uploadParts.uploadId, uploadParts.partNumber],
        set: { size: length, etag },
      });
  } catch (err) {
    if (/FOREIGN KEY/i.test(String(err))) {
      throw new ApiError('UPLOAD_UNKNOWN', `upload ${uploadId} was aborted or expired`, { uploadId });
    }
    throw err;
  }
  return { part: partNumber, size: length };
}

export type CompleteResult = { ok: true; created: boolean; digest: string; size: number } | { ok: false };

export async function completeUpload(deps: UploadDeps, uploadId: string): Promise<CompleteResult> {
  const now = deps.now ?? Date.now();
  const session = await liveSession(deps, uploadId);
  const digest = session.digest as Digest;

  const [claimed] = await deps.db
    .update(uploads)
    .set({ state: 'completing', leaseUntil: now + COMPLETE_LEASE_MS })
    .where(and(eq(uploads.id, uploadId), or(eq(uploads.state, 'open'), lt(uploads.leaseUntil, now))))
    .returning();
  if (!claimed) throw new ApiError('UPLOAD_IN_PROGRESS', `upload ${uploadId} is already being completed`);

  const parts = await receivedParts(deps.db, uploadId);
  const have = new Set(parts.map((p) => p.partNumber));
  const missing: number[] = [];
  for (let n = 1; n <= session.partCount && missing.length < 1000; n++) if (!have.has(n)) missing.push(n);
  if (missing.length > 0) {
    await deps.db.update(uploads).set({ state: 'open', leaseUntil: null }).where(eq(uploads.id, uploadId));
    throw new ApiError('UPLOAD_INCOMPLETE', `${missing.length} part(s) missing; send them, then complete`, {
      missing,
    });
  }

  const stored = await findBlob(deps.db, digest);
  if (stored) {
    // Someone stored the same bytes meanwhile: never assemble over a visible blob.
    await dropSession(deps, session);
    return { ok: true, created: false, digest, size: stored.size };
  }

  await assemble(deps, session, parts);
  const hashed = await hashStoredBlob(deps.bucket, digest);
  if (!hashed || hashed.hex !== hexOf(digest) || hashed.size !== session.size) {
    await deleteBlob(deps.bucket, digest);
    await deps.db.delete(uploads).where(eq(uploads.id, uploadId));
    return { ok: false };
  }
  const [inserted] = await deps.db.batch([
    deps.db
      .insert(blobs)
      .values({ digest, size: session.size, createdAt: now })
      .onConflictDoNothing()
      .returning(),
    deps.db.delete(uploads).where(eq(uploads.id, uploadId)),
  ]);
  return { ok: true, created: inserted.length > 0, digest, size: session.size };
}

/** Completes the R2 multipart upload; tolerates a previous completer that crashed after R2's part. */
async function assemble(deps: UploadDeps, session: UploadRow, parts: { partNumber: number; etag: string }[]) {
  const digest = session.digest as Digest;
  try {
    await completeMultipart(
      deps.bucket,
      digest,
      session.r2UploadId,
      parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    );
  } catch (err) {
    const object = await headBlob(deps.bucket, digest);
    if (object && object.size === session.size) return; // assembled by an earlier attempt
    await deps.db.delete(uploads).where(eq(uploads.id, session.id));
    throw new ApiError('UPLOAD_EXPIRED', `storage no longer knows upload ${session.id}; start a new one`, {
      cause: String(err),
    });
  }
}

export async function abortUpload(deps: UploadDeps, uploadId: string): Promise<void> {
  const now = deps.now ?? Date.now();
  const row = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
  if (!row) throw new ApiError('UPLOAD_UNKNOWN', `no upload ${uploadId}`, { uploadId });
  if (isLeased(row, now)) throw new ApiError('UPLOAD_IN_PROGRESS', `upload ${uploadId} is being completed`);
  await dropSession(deps, row);
}

/** Aborts sessions past their expiry (cron). Returns how many were dropped. */
export async function expireStaleUploads(deps: UploadDeps, max = 200): Promise<number> {
  const now = deps.now ?? Date.now();
  const stale = await deps.db.select().from(uploads).where(lt(uploads.expiresAt, now)).limit(max);
  let dropped = 0;
  for (const row of stale) {
    if (isLeased(row, now)) continue;
    await dropSession(deps, row);
    dropped++;
  }
  return dropped;
}
