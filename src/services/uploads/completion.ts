/**
 * Completing a multipart upload: one completer at a time (a lease), the fast path when every
 * part was hashed in order, otherwise assembly then a re-hash; the blob row only on a match.
 * See index.ts for the whole integrity story.
 */
import { and, eq, lt, or, sql } from 'drizzle-orm';
import { type Digest, hexOf } from '../../contract/grammar';
import { runBatch } from '../../db/client';
import { type UploadRow, uploads } from '../../db/schema';
import type { Deps } from '../../deps';
import { ResumableSha256 } from '../../lib/resumable-sha256';
import { hashStored } from '../../storage/blob-store';
import type { Principal } from '../auth';
import { findBlob, findVisibleBlob, grantStatements } from '../blobs';
import type { Failure, Result } from '../result';
import {
  type BusyUpload,
  dropSession,
  type ExpiredUpload,
  forgetSession,
  liveSession,
  receivedParts,
  type SessionFailure,
} from './session';

/** How long one complete call owns a session; a retry after that takes over. */
export const COMPLETE_LEASE_MS = 5 * 60_000;

export type CompleteFailure =
  | SessionFailure
  | BusyUpload
  /** Parts are missing (at most 1,000 listed); `lost`: storage lost parts sent twice at once. */
  | Failure<'parts-missing', { missing: number[]; lost: boolean }>
  /** The assembled bytes do not hash to the digest: nothing was kept. */
  | Failure<'digest-mismatch', { digest: Digest }>
  /** The digest is stored but hidden from this namespace-limited token, which did not prove it holds the bytes. */
  | Failure<'possession-unproven', { digest: Digest }>;

export type CompleteResult = Result<{ created: boolean; digest: string; size: number }, CompleteFailure>;

export async function completeUpload(
  deps: Deps,
  uploadId: string,
  principal: Principal,
): Promise<CompleteResult> {
  const now = deps.now();
  const live = await liveSession(deps, uploadId);
  if (!live.ok) return live;
  const session = live.row;
  const [claimed] = await deps.db
    .update(uploads)
    .set({ state: 'completing', leaseUntil: now + COMPLETE_LEASE_MS })
    .where(and(eq(uploads.id, uploadId), or(eq(uploads.state, 'open'), lt(uploads.leaseUntil, now))))
    .returning();
  if (!claimed) return { ok: false, reason: 'upload-completing', uploadId };
  try {
    return await finishClaimed(deps, session, claimed, principal, now);
  } catch (err) {
    // Whatever failed, the next attempt must not wait for the lease to run out: hand it back
    // (a no-op when the session is gone). The retry re-checks everything from R2's state.
    await deps.db
      .update(uploads)
      .set({ state: 'open', leaseUntil: null })
      .where(and(eq(uploads.id, uploadId), eq(uploads.state, 'completing')))
      .catch(() => undefined);
    throw err;
  }
}

/** `completeUpload` once this call holds the completion lease of `claimed`. */
async function finishClaimed(
  deps: Deps,
  session: UploadRow,
  claimed: UploadRow,
  principal: Principal,
  now: number,
): Promise<CompleteResult> {
  const uploadId = claimed.id;
  const digest = session.digest as Digest;
  const parts = await receivedParts(deps, uploadId);
  const have = new Set(parts.map((p) => p.partNumber));
  const missing: number[] = [];
  for (let n = 1; n <= session.partCount && missing.length < 1000; n++) if (!have.has(n)) missing.push(n);
  if (missing.length > 0) {
    await deps.db.update(uploads).set({ state: 'open', leaseUntil: null }).where(eq(uploads.id, uploadId));
    return { ok: false, reason: 'parts-missing', missing, lost: false };
  }

  // The fast path (see the header): every part was hashed in order, and no part can change now.
  const hashed =
    claimed.hashedThrough === claimed.partCount &&
    claimed.hashState !== null &&
    parts.length === claimed.partCount &&
    parts.every((p) => p.hashed)
      ? ResumableSha256.restore(claimed.hashState)
      : null;
  if (hashed && hashed.digestHex() !== hexOf(digest)) {
    // Known before assembly: nothing is written at the blob's key.
    await dropSession(deps, claimed);
    return { ok: false, reason: 'digest-mismatch', digest };
  }

  const stored = await findBlob(deps, digest);
  if (stored) {
    // Someone stored the same bytes meanwhile: never assemble over a visible blob.
    await dropSession(deps, claimed);
    if (!(await findVisibleBlob(deps, digest, principal))) {
      // A namespace-limited token must prove it holds the bytes (services/blobs.ts): only the
      // in-order hash can, since assembling over a stored blob is never done.
      if (!hashed) return { ok: false, reason: 'possession-unproven', digest };
      await runBatch(deps.db, grantStatements(principal, digest, now));
    }
    return { ok: true, created: false, digest, size: stored.size };
  }

  const assembled = await assemble(deps, session, parts);
  if (!assembled.ok) return assembled;
  if (!(hashed && assembled.here)) {
    const rehashed = await hashStored(deps.blobs, digest);
    if (!rehashed?.matches || rehashed.size !== session.size) {
      await deps.blobs.delete([digest]);
      await deps.db.delete(uploads).where(eq(uploads.id, uploadId));
      return { ok: false, reason: 'digest-mismatch', digest };
    }
  }
  const [inserted] = await runBatch(deps.db, [
    sql`INSERT INTO blobs (digest, size, created_at) VALUES (${digest}, ${session.size}, ${now})
        ON CONFLICT (digest) DO NOTHING RETURNING digest`,
    sql`DELETE FROM uploads WHERE id = ${uploadId}`,
    ...grantStatements(principal, digest, now),
  ]);
  return { ok: true, created: (inserted?.length ?? 0) > 0, digest, size: session.size };
}

/**
 * Has the store assemble the parts. `here` is false when the store no longer knows the upload
 * but bytes of the right size are at the digest (a previous completer that crashed after the
 * store's part, presumably): the caller must re-hash them, not trust them.
 */
async function assemble(
  deps: Deps,
  session: UploadRow,
  parts: { partNumber: number; etag: string }[],
): Promise<
  Result<{ here: boolean }, ExpiredUpload | Failure<'parts-missing', { missing: number[]; lost: boolean }>>
> {
  const digest = session.digest as Digest;
  const outcome = await deps.blobs.multipart.assemble(
    digest,
    session.r2UploadId,
    parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
  );
  if (outcome.ok) return { ok: true, here: true };
  const object = await deps.blobs.head(digest);
  if (object && object.size === session.size) return { ok: true, here: false }; // assembled by an earlier attempt?
  if (outcome.reason === 'parts-invalid') {
    // A part was re-sent concurrently and the store kept the other copy's etag: which one is
    // unknown, so every part is asked for again (the upload stays; re-sent parts are re-hashed).
    // The lease goes back with it: parts are refused while a session is completing, so keeping
    // it would refuse the very parts asked for until the lease ran out (5 minutes).
    await runBatch(deps.db, [
      sql`DELETE FROM upload_parts WHERE upload_id = ${session.id}`,
      sql`UPDATE uploads SET hashed_through = -1, hash_state = NULL, hash_claim = NULL,
            state = 'open', lease_until = NULL WHERE id = ${session.id}`,
    ]);
    const missing = Array.from({ length: Math.min(session.partCount, 1000) }, (_, k) => k + 1);
    return { ok: false, reason: 'parts-missing', missing, lost: true };
  }
  return forgetSession(deps, session.id);
}
