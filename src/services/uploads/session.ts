/**
 * Multipart upload sessions: planning parts, starting (or resuming, or joining) the one session
 * of a digest, looking one up, aborting, and expiring stale ones. See index.ts for the integrity
 * story the three phases (session, parts, completion) implement together.
 */
import { asc, eq, lt, sql } from 'drizzle-orm';
import { R2_MAX_PARTS } from '../../config';
import type { Digest } from '../../contract/grammar';
import type { UploadSession } from '../../contract/uploads';
import { runBatch } from '../../db/client';
import { blobs, type UploadRow, uploadParts, uploads } from '../../db/schema';
import type { Deps } from '../../deps';
import { base64url } from '../../lib/cursor';
import type { Principal } from '../auth';
import { findVisibleBlob } from '../blobs';
import type { Failure, Result } from '../result';

const MiB = 1024 * 1024;

/** The session is unknown (never existed, aborted, or completed). */
export type UnknownUpload = Failure<'upload-unknown', { uploadId: string }>;
/** The session outlived its TTL, or storage forgot it: start a new one. */
export type ExpiredUpload = Failure<'upload-expired', { uploadId: string; cause?: string }>;
/** A completion holds the session: parts are closed, and a second completion must wait. */
export type BusyUpload = Failure<'upload-completing', { uploadId: string }>;

export type SessionFailure = UnknownUpload | ExpiredUpload;

/** The part size for a blob: the configured one, grown so the blob fits in R2's 10,000 parts. */
export function planParts(
  size: number,
  limits: { partSize: number; maxPartSize: number },
): Result<
  { partSize: number; partCount: number },
  Failure<'too-large', { size: number; maxSize: number; maxPartSize: number }>
> {
  const needed = Math.ceil(Math.ceil(size / R2_MAX_PARTS) / MiB) * MiB;
  const partSize = Math.max(limits.partSize, needed);
  if (partSize > limits.maxPartSize) {
    return {
      ok: false,
      reason: 'too-large',
      size,
      maxSize: limits.maxPartSize * R2_MAX_PARTS,
      maxPartSize: limits.maxPartSize,
    };
  }
  return { ok: true, partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

export function view(row: UploadRow, parts: number[]): UploadSession {
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

export async function receivedParts(deps: Deps, uploadId: string) {
  return deps.db
    .select({
      partNumber: uploadParts.partNumber,
      size: uploadParts.size,
      etag: uploadParts.etag,
      hashed: uploadParts.hashed,
    })
    .from(uploadParts)
    .where(eq(uploadParts.uploadId, uploadId))
    .orderBy(asc(uploadParts.partNumber));
}

/** Aborts the stored upload and deletes the session (its part rows cascade). */
export async function dropSession(deps: Deps, row: UploadRow): Promise<void> {
  await deps.blobs.multipart.abort(row.digest as Digest, row.r2UploadId);
  await deps.db.delete(uploads).where(eq(uploads.id, row.id));
}

/** The store no longer knows the session's upload: the session goes, and the client starts anew. */
export async function forgetSession(deps: Deps, uploadId: string): Promise<ExpiredUpload> {
  await deps.db.delete(uploads).where(eq(uploads.id, uploadId));
  return { ok: false, reason: 'upload-expired', uploadId, cause: 'storage no longer knows the upload' };
}

export const isLeased = (row: UploadRow, now: number) =>
  row.state === 'completing' && row.leaseUntil !== null && row.leaseUntil > now;

/** A live session; an expired one is cleaned up on the way. */
export async function liveSession(
  deps: Deps,
  uploadId: string,
): Promise<Result<{ row: UploadRow }, SessionFailure>> {
  const now = deps.now();
  const row = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
  if (!row) return { ok: false, reason: 'upload-unknown', uploadId };
  if (row.expiresAt <= now && !isLeased(row, now)) {
    await dropSession(deps, row);
    return { ok: false, reason: 'upload-expired', uploadId };
  }
  return { ok: true, row };
}

export type StartFailure =
  | Failure<'too-large', { size: number; maxSize: number; maxPartSize: number }>
  /** Another session of the digest, with another size or part size, is open. */
  | Failure<'plan-conflict', { uploadId: string; size: number; partSize: number }>
  | Failure<'being-deleted', { digest: Digest }>;

export type StartResult = Result<
  { kind: 'exists'; digest: string; size: number } | { kind: 'created' | 'resumed'; upload: UploadSession },
  StartFailure
>;

export async function startUpload(
  deps: Deps,
  input: { digest: Digest; size: number; partSize?: number | undefined },
  principal: Principal,
): Promise<StartResult> {
  const now = deps.now();
  const { config } = deps;
  // A namespace-limited token that cannot see a stored blob uploads it in full (services/blobs.ts).
  const stored = await findVisibleBlob(deps, input.digest, principal);
  if (stored) return { ok: true, kind: 'exists', digest: stored.digest, size: stored.size };

  const plan = planParts(input.size, {
    partSize: input.partSize ?? config.uploadPartSize,
    maxPartSize: config.maxSingleUploadBytes,
  });
  if (!plan.ok) return plan;
  const current = await deps.db.query.uploads.findFirst({ where: eq(uploads.digest, input.digest) });
  if (current) {
    if (current.expiresAt <= now && !isLeased(current, now)) {
      await dropSession(deps, current);
    } else if (
      current.size === input.size &&
      (input.partSize === undefined || input.partSize === current.partSize)
    ) {
      // Same blob, same plan: hand back the open session so an interrupted client resumes it.
      const parts = await receivedParts(deps, current.id);
      return {
        ok: true,
        kind: 'resumed',
        upload: view(
          current,
          parts.map((p) => p.partNumber),
        ),
      };
    } else {
      return {
        ok: false,
        reason: 'plan-conflict',
        uploadId: current.id,
        size: current.size,
        partSize: current.partSize,
      };
    }
  }

  const r2UploadId = await deps.blobs.multipart.create(input.digest);
  const row: UploadRow = {
    id: `upl_${base64url(crypto.getRandomValues(new Uint8Array(16)))}`,
    digest: input.digest,
    size: input.size,
    partSize: plan.partSize,
    partCount: plan.partCount,
    r2UploadId,
    state: 'open',
    leaseUntil: null,
    hashedThrough: 0,
    hashState: null,
    hashClaim: null,
    createdBy: principal.id,
    createdAt: now,
    expiresAt: now + config.uploadTtlMs,
  };
  // The session is this digest's write intent for garbage collection (services/blobs.ts): it is
  // refused, in the same statement, while GC is deleting the digest, and GC skips digests with one.
  // It is refused too once the blob is stored (a completion that landed since the check above),
  // except for a namespace-limited token that cannot see it: that one must prove possession.
  const blocking = principal.namespaces ? sql`AND state = 'deleting'` : sql``;
  const [inserted] = await runBatch(deps.db, [
    sql`INSERT INTO uploads (id, digest, size, part_size, part_count, r2_upload_id, state,
                             hashed_through, created_by, created_at, expires_at)
        SELECT ${row.id}, ${row.digest}, ${row.size}, ${row.partSize}, ${row.partCount}, ${row.r2UploadId},
               'open', 0, ${row.createdBy}, ${row.createdAt}, ${row.expiresAt}
        WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE digest = ${row.digest} ${blocking})
        ON CONFLICT DO NOTHING
        RETURNING id`,
  ]);
  if (!inserted || inserted.length === 0) {
    await deps.blobs.multipart.abort(input.digest, r2UploadId);
    const blob = await deps.db.query.blobs.findFirst({ where: eq(blobs.digest, input.digest) });
    if (blob?.state === 'deleting') return { ok: false, reason: 'being-deleted', digest: input.digest };
    // Another client's completion landed meanwhile: the blob is stored now.
    if (blob && (await findVisibleBlob(deps, input.digest, principal))) {
      return { ok: true, kind: 'exists', digest: blob.digest, size: blob.size };
    }
    // Another request started the same digest a moment ago: join its session instead.
    return startUpload(deps, input, principal);
  }
  return { ok: true, kind: 'created', upload: view(row, []) };
}

export async function getUpload(
  deps: Deps,
  uploadId: string,
): Promise<Result<{ upload: UploadSession }, SessionFailure>> {
  const live = await liveSession(deps, uploadId);
  if (!live.ok) return live;
  const parts = await receivedParts(deps, uploadId);
  return {
    ok: true,
    upload: view(
      live.row,
      parts.map((p) => p.partNumber),
    ),
  };
}

export async function abortUpload(
  deps: Deps,
  uploadId: string,
): Promise<Result<object, UnknownUpload | BusyUpload>> {
  const row = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
  if (!row) return { ok: false, reason: 'upload-unknown', uploadId };
  if (isLeased(row, deps.now())) return { ok: false, reason: 'upload-completing', uploadId };
  await dropSession(deps, row);
  return { ok: true };
}

/** Aborts sessions past their expiry (cron). Returns how many were dropped. */
export async function expireStaleUploads(deps: Deps, max = 200): Promise<number> {
  const now = deps.now();
  const stale = await deps.db.select().from(uploads).where(lt(uploads.expiresAt, now)).limit(max);
  let dropped = 0;
  for (const row of stale) {
    if (isLeased(row, now)) continue;
    await dropSession(deps, row);
    dropped++;
  }
  return dropped;
}
