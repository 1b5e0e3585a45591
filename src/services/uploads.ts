/**
 * Multipart uploads for blobs above the single-request limit, on R2 multipart with the session
 * in D1 so any request (and any client restart) can resume it.
 *
 * Integrity story (docs/DESIGN.md invariant 2):
 * 1. Parts are stored by R2 as they arrive; each part's size is checked against the plan, so the
 *    assembled size is known to be the declared size before assembly.
 * 2. `complete` first takes a lease on the session with one conditional UPDATE, so exactly one
 *    request assembles it; a crashed completer's lease runs out and a retry takes over. Parts are
 *    refused from then on (every part write first updates the session row, conditioned on
 *    `state = 'open'`, before its bytes go to R2).
 * 3. Parts sent in order are hashed as they stream through (the fast path, below). When all of
 *    them were, `complete` knows the digest before assembling: a mismatch aborts the R2 upload and
 *    nothing is ever written at the blob's key. Otherwise R2 assembles the object at the key and
 *    it is streamed back through SHA-256 (native DigestStream, constant memory).
 * 4. Only on a match does one D1 batch insert the `blobs` row (making the blob visible) and drop
 *    the session. On a mismatch the object is deleted; no row ever pointed at it.
 * One session per digest (a unique index) keeps two assemblies from writing the same key, and
 * while the lease is held a single PUT of the same digest may store bytes but cannot register
 * them (services/blobs.ts registerBlob): the lease check and the row insert are one statement,
 * so a row either exists before the lease (and `complete` sees it and never assembles) or waits
 * until the lease is gone. A mismatching assembly can therefore be deleted without ever
 * removing bytes that a visible row points to.
 *
 * The fast path: incremental hashing of in-order parts. The session keeps `hashState`, the
 * SHA-256 state (lib/resumable-sha256.ts) after its first `hashedThrough` parts (-1: void).
 * - Announce, then write. Before any byte of part n goes to R2, one conditional UPDATE of the
 *   session decides the request's role. If `hashedThrough = n-1` and no part is being hashed,
 *   the request claims part n (`hashClaim = n`). Otherwise it voids the state for good
 *   (`hashedThrough = -1`, claim cleared): out of order, a duplicate or re-send of a hashed part,
 *   a retry of a part whose hashing request died, or any part while another is being hashed.
 * - The claimant streams the body in 1 MiB reads through the hasher into a FixedLengthStream
 *   that R2's uploadPart consumes (backpressure end to end: at most two chunks in memory).
 *   Now and then (after 1 MiB, then at doubling intervals up to 8 MiB) it asks D1, without
 *   waiting, whether its claim still stands; once it does not (parts sent in parallel void the
 *   state at once), it stops hashing, which would be wasted CPU, and only streams.
 *   Only after R2 accepted the part does one D1 batch commit the new state and
 *   `hashedThrough = n` (compare-and-swap on `hashClaim = n AND hashedThrough = n-1`) and write
 *   the part row with `hashed` true iff that swap happened.
 * - `complete` takes the fast path only if its lease snapshot says `hashedThrough = partCount`
 *   and every part row is `hashed`. It finalizes the digest from the state, compares, and only
 *   then assembles, naming the hashed etags. If R2 reports the upload gone but an object of the
 *   right size is at the key (an earlier attempt assembled it, or so it seems), that object is
 *   re-hashed as before: only an assembly this request did is trusted unread.
 * Why the assembled bytes are exactly the hashed bytes: `hashedThrough` only ever moves from
 * n-1 to n by the claimant of n, a claim needs `hashedThrough = n-1` (so part n had no earlier
 * write: any earlier write of n voided the state) and no other claim, and any later write of a
 * part is announced first and voids the state (or, after the lease, is refused). D1 runs these
 * statements one at a time, so when the fast path is taken every part had exactly one write
 * since the session began, the hashed one, and no write can begin. R2 parts belong to the
 * session's own R2 upload id. This does not rely on R2 checking etags: Miniflare gives each part
 * write a random etag and refuses a superseded one on complete (test/unit/uploads-incremental
 * checks it), but R2's part etags are the MD5 of the bytes, so two writes with colliding MD5s
 * would look alike there. A voided state costs only speed: `complete` re-hashes, as it always did.
 */
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { R2_MAX_PARTS } from '../config';
import { type Digest, hexOf } from '../contract/grammar';
import type { PartReceipt, UploadSession } from '../contract/uploads';
import { type Db, runBatch } from '../db/client';
import { blobs, type UploadRow, uploadParts, uploads } from '../db/schema';
import { ApiError } from '../errors';
import { base64url } from '../lib/cursor';
import { ResumableSha256 } from '../lib/resumable-sha256';
import {
  abortMultipart,
  completeMultipart,
  createMultipart,
  deleteBlob,
  hashStoredBlob,
  headBlob,
  uploadPart,
} from '../storage/blob-store';
import type { Principal } from './auth';
import { blobBeingDeleted, findBlob, findVisibleBlob, grantStatements } from './blobs';

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

function view(row: UploadRow, parts: number[]): UploadSession {
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
  | { kind: 'created' | 'resumed'; upload: UploadSession };

export async function startUpload(
  deps: UploadDeps,
  limits: UploadLimits,
  input: { digest: Digest; size: number; partSize?: number | undefined },
  principal: Principal,
): Promise<StartResult> {
  const now = deps.now ?? Date.now();
  const createdBy = principal.id;
  // A namespace-limited token that cannot see a stored blob uploads it in full (services/blobs.ts).
  const stored = await findVisibleBlob(deps.db, input.digest, principal);
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
    await abortMultipart(deps.bucket, input.digest, r2UploadId);
    const blob = await deps.db.query.blobs.findFirst({ where: eq(blobs.digest, input.digest) });
    if (blob?.state === 'deleting') throw blobBeingDeleted(input.digest);
    // Another client's completion landed meanwhile: the blob is stored now.
    if (blob && (await findVisibleBlob(deps.db, input.digest, principal))) {
      return { kind: 'exists', digest: blob.digest, size: blob.size };
    }
    // Another request started the same digest a moment ago: join its session instead.
    return startUpload(deps, limits, input, principal);
  }
  return { kind: 'created', upload: view(row, []) };
}

export async function getUpload(deps: UploadDeps, uploadId: string): Promise<UploadSession> {
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

/** Bytes per read when a part streams through the hasher (request bodies come in small chunks). */
const HASH_CHUNK_BYTES = 1024 * 1024;

type Role = { hash: false } | { hash: true; hasher: ResumableSha256 };

/**
 * The announcement every part write makes before its bytes go to R2 (see the header): one
 * conditional UPDATE that either claims part n for hashing or voids the incremental state. Refused
 * when the session is being completed (or gone).
 */
async function announcePart(deps: UploadDeps, uploadId: string, n: number): Promise<Role> {
  const claimable = and(eq(uploads.hashedThrough, n - 1), isNull(uploads.hashClaim));
  const [after] = await deps.db
    .update(uploads)
    .set({
      hashClaim: sql`CASE WHEN ${claimable} THEN ${n} ELSE NULL END`,
      hashedThrough: sql`CASE WHEN ${claimable} THEN ${uploads.hashedThrough} ELSE -1 END`,
      hashState: sql`CASE WHEN ${claimable} THEN ${uploads.hashState} ELSE NULL END`,
    })
    .where(and(eq(uploads.id, uploadId), eq(uploads.state, 'open')))
    .returning({
      hashClaim: uploads.hashClaim,
      hashedThrough: uploads.hashedThrough,
      hashState: uploads.hashState,
    });
  if (!after) {
    const still = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
    if (!still)
      throw new ApiError('UPLOAD_UNKNOWN', `upload ${uploadId} was aborted or expired`, { uploadId });
    throw new ApiError('UPLOAD_IN_PROGRESS', `upload ${uploadId} is being completed; parts are closed`);
  }
  if (after.hashClaim !== n) return { hash: false };
  const hasher =
    after.hashedThrough === 0
      ? ResumableSha256.create()
      : after.hashState === null
        ? null
        : ResumableSha256.restore(after.hashState);
  if (hasher) return { hash: true, hasher };
  // A state this build cannot continue (another hash-wasm binary): give the claim up for good.
  await voidHashing(deps, uploadId);
  return { hash: false };
}

async function voidHashing(deps: UploadDeps, uploadId: string): Promise<void> {
  await deps.db
    .update(uploads)
    .set({ hashedThrough: -1, hashState: null, hashClaim: null })
    .where(eq(uploads.id, uploadId));
}

/**
 * While hashing a part, when to ask D1 whether the claim still stands (see below): after the
 * first MiB (parts sent in parallel void the claim within milliseconds), then at doubling
 * intervals up to every 8 MiB.
 */
const FIRST_PROBE_BYTES = 1024 * 1024;
const MAX_PROBE_INTERVAL_BYTES = 8 * 1024 * 1024;

/**
 * Streams `body` into `sink` through `hasher`, 1 MiB at a time, keeping at most one write in
 * flight while the next chunk is read and hashed. Errors abort the sink (so R2 stores nothing).
 * Now and then it asks `stillClaimed` (without waiting for the answer); once that says no
 * (another write voided the state, e.g. parts sent in parallel), it stops hashing and only
 * streams: a void state never comes back, so hashing on would be wasted CPU. Returns whether
 * every byte was hashed.
 */
async function pumpThroughHasher(
  body: ReadableStream<Uint8Array>,
  sink: WritableStream<Uint8Array>,
  hasher: ResumableSha256,
  stillClaimed: () => Promise<boolean>,
): Promise<boolean> {
  const writer = sink.getWriter();
  let byob: ReadableStreamBYOBReader | null = null;
  let plain: ReadableStreamDefaultReader<Uint8Array> | null = null;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    plain = body.getReader(); // not a byte stream
  }
  let hashing = true;
  let probing = false;
  let sinceProbe = 0;
  let probeEvery = FIRST_PROBE_BYTES;
  let pending: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const { done, value } = byob
        ? await byob.readAtLeast(HASH_CHUNK_BYTES, new Uint8Array(HASH_CHUNK_BYTES))
        : await plain!.read();
      if (value && value.byteLength > 0) {
        if (hashing) {
          hasher.update(value);
          sinceProbe += value.byteLength;
          if (sinceProbe >= probeEvery && !probing && !done) {
            sinceProbe = 0;
            probeEvery = Math.min(2 * probeEvery, MAX_PROBE_INTERVAL_BYTES);
            probing = true;
            stillClaimed().then(
              (claimed) => {
                probing = false;
                if (!claimed) hashing = false;
              },
              () => {
                probing = false; // a failed probe changes nothing: the commit decides
              },
            );
          }
        }
        await pending;
        pending = writer.write(value);
        pending.catch(() => {}); // awaited above or below; this only keeps it from being "unhandled"
      }
      if (done) break;
    }
    await pending;
    await writer.close();
    return hashing;
  } catch (err) {
    await writer.abort(err).catch(() => {});
    await (byob ?? plain)?.cancel(err).catch(() => {});
    throw err;
  }
}

export async function receivePart(
  deps: UploadDeps,
  uploadId: string,
  partNumber: number,
  body: ReadableStream | null,
  length: number,
): Promise<PartReceipt> {
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
  const role = await announcePart(deps, uploadId, partNumber);
  let etag: string;
  let hashedAll = false;
  try {
    if (role.hash && body) {
      const fixed = new FixedLengthStream(length);
      const stillClaimed = async () => {
        const now = await deps.db.query.uploads.findFirst({
          columns: { hashClaim: true },
          where: eq(uploads.id, uploadId),
        });
        return now?.hashClaim === partNumber;
      };
      [etag, hashedAll] = await Promise.all([
        uploadPart(deps.bucket, row.digest as Digest, row.r2UploadId, partNumber, fixed.readable),
        pumpThroughHasher(body, fixed.writable, role.hasher, stillClaimed),
      ]);
    } else {
      etag = await uploadPart(
        deps.bucket,
        row.digest as Digest,
        row.r2UploadId,
        partNumber,
        body ?? new ArrayBuffer(0),
      );
    }
  } catch (err) {
    // Aborted or expired between our check and R2's write: report the session's fate, not a 500.
    // (A failed hashing request keeps its claim: the part's next write voids the state.)
    const still = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
    if (!still)
      throw new ApiError('UPLOAD_UNKNOWN', `upload ${uploadId} was aborted or expired`, { uploadId });
    if (isNoSuchUpload(err)) return partAfterAssembly(deps, row, partNumber, length);
    throw err;
  }
  try {
    if (role.hash && hashedAll) {
      // One transaction: the compare-and-swap of the state, then the part row, marked hashed iff
      // the swap happened (it does not when another write of this part voided the state meanwhile).
      const swapped = sql<boolean>`coalesce((SELECT ${uploads.hashedThrough} = ${partNumber} FROM ${uploads} WHERE ${uploads.id} = ${uploadId}), 0)`;
      await deps.db.batch([
        deps.db
          .update(uploads)
          .set({ hashedThrough: partNumber, hashState: role.hasher.serialize(), hashClaim: null })
          .where(
            and(
              eq(uploads.id, uploadId),
              eq(uploads.hashClaim, partNumber),
              eq(uploads.hashedThrough, partNumber - 1),
            ),
          ),
        deps.db
          .insert(uploadParts)
          .values({ uploadId, partNumber, size: length, etag, hashed: swapped })
          .onConflictDoUpdate({
            target: [uploadParts.uploadId, uploadParts.partNumber],
            set: { size: length, etag, hashed: swapped },
          }),
      ]);
    } else {
      await deps.db
        .insert(uploadParts)
        .values({ uploadId, partNumber, size: length, etag, hashed: false })
        .onConflictDoUpdate({
          target: [uploadParts.uploadId, uploadParts.partNumber],
          set: { size: length, etag, hashed: false },
        });
    }
  } catch (err) {
    // The session was aborted meanwhile (its part rows cascade away; the insert hits the foreign
    // key, whose text the query error may not carry): report that, not a 500.
    const still = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
    if (!still)
      throw new ApiError('UPLOAD_UNKNOWN', `upload ${uploadId} was aborted or expired`, { uploadId });
    throw err;
  }
  return { part: partNumber, size: length };
}

/** R2's answer for a multipart upload it no longer knows (completed or aborted). */
function isNoSuchUpload(err: unknown): boolean {
  return /multipart upload does not exist|\(10024\)|NoSuchUpload/i.test(String(err));
}

/**
 * A part re-sent after an earlier `complete` had R2 assemble the parts, then failed before
 * recording the blob: R2 takes no more parts, but none are needed. If this part was received
 * before with this size, it is acknowledged again, and `complete` verifies the assembled object
 * by re-hashing it. Otherwise the session cannot finish: it is dropped (410, start anew).
 */
async function partAfterAssembly(
  deps: UploadDeps,
  row: UploadRow,
  partNumber: number,
  length: number,
): Promise<PartReceipt> {
  const [object, received] = await Promise.all([
    headBlob(deps.bucket, row.digest as Digest),
    deps.db.query.uploadParts.findFirst({
      where: and(eq(uploadParts.uploadId, row.id), eq(uploadParts.partNumber, partNumber)),
    }),
  ]);
  if (object && object.size === row.size && received?.size === length)
    return { part: partNumber, size: length };
  await deps.db.delete(uploads).where(eq(uploads.id, row.id));
  throw new ApiError('UPLOAD_EXPIRED', `storage no longer knows upload ${row.id}; start a new one`, {
    uploadId: row.id,
  });
}

export type CompleteResult = { ok: true; created: boolean; digest: string; size: number } | { ok: false };

export async function completeUpload(
  deps: UploadDeps,
  uploadId: string,
  principal: Principal,
): Promise<CompleteResult> {
  const now = deps.now ?? Date.now();
  const session = await liveSession(deps, uploadId);
  const [claimed] = await deps.db
    .update(uploads)
    .set({ state: 'completing', leaseUntil: now + COMPLETE_LEASE_MS })
    .where(and(eq(uploads.id, uploadId), or(eq(uploads.state, 'open'), lt(uploads.leaseUntil, now))))
    .returning();
  if (!claimed) throw new ApiError('UPLOAD_IN_PROGRESS', `upload ${uploadId} is already being completed`);
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
  deps: UploadDeps,
  session: UploadRow,
  claimed: UploadRow,
  principal: Principal,
  now: number,
): Promise<CompleteResult> {
  const uploadId = claimed.id;
  const digest = session.digest as Digest;
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
    return { ok: false };
  }

  const stored = await findBlob(deps.db, digest);
  if (stored) {
    // Someone stored the same bytes meanwhile: never assemble over a visible blob.
    await dropSession(deps, claimed);
    if (!(await findVisibleBlob(deps.db, digest, principal))) {
      // A namespace-limited token must prove it holds the bytes (services/blobs.ts): only the
      // in-order hash can, since assembling over a stored blob is never done.
      if (!hashed) throw possessionUnproven(digest);
      await runBatch(deps.db, grantStatements(principal, digest, now));
    }
    return { ok: true, created: false, digest, size: stored.size };
  }

  const assembledHere = await assemble(deps, session, parts);
  if (!(hashed && assembledHere)) {
    const rehashed = await hashStoredBlob(deps.bucket, digest);
    if (!rehashed || rehashed.hex !== hexOf(digest) || rehashed.size !== session.size) {
      await deleteBlob(deps.bucket, digest);
      await deps.db.delete(uploads).where(eq(uploads.id, uploadId));
      return { ok: false };
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
 * Completes the R2 multipart upload: true when this call assembled it. False when R2 no longer
 * knows the upload but an object of the right size is at the key (a previous completer that
 * crashed after R2's part, presumably: the caller must re-hash it, not trust it).
 */
async function assemble(
  deps: UploadDeps,
  session: UploadRow,
  parts: { partNumber: number; etag: string }[],
): Promise<boolean> {
  const digest = session.digest as Digest;
  try {
    await completeMultipart(
      deps.bucket,
      digest,
      session.r2UploadId,
      parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    );
    return true;
  } catch (err) {
    const object = await headBlob(deps.bucket, digest);
    if (object && object.size === session.size) return false; // assembled by an earlier attempt?
    if (/\(10025\)|parts could not be found|InvalidPart/i.test(String(err))) {
      // A part was re-sent concurrently and R2 kept the other copy's etag: which one is unknown,
      // so every part is asked for again (the R2 upload stays; re-sent parts are re-hashed).
      await runBatch(deps.db, [
        sql`DELETE FROM upload_parts WHERE upload_id = ${session.id}`,
        sql`UPDATE uploads SET hashed_through = -1, hash_state = NULL, hash_claim = NULL WHERE id = ${session.id}`,
      ]);
      const missing = Array.from({ length: Math.min(session.partCount, 1000) }, (_, k) => k + 1);
      throw new ApiError(
        'UPLOAD_INCOMPLETE',
        'storage lost track of parts sent twice at once; send every part again, then complete',
        { missing },
      );
    }
    // Any other failure may be transient: keep the session (its lease is handed back) for a retry.
    if (!isNoSuchUpload(err)) throw err;
    await deps.db.delete(uploads).where(eq(uploads.id, session.id));
    throw new ApiError('UPLOAD_EXPIRED', `storage no longer knows upload ${session.id}; start a new one`, {
      cause: String(err),
    });
  }
}

function possessionUnproven(digest: Digest): ApiError {
  return new ApiError(
    'UPLOAD_INCOMPLETE',
    `${digest} is stored, but not visible to this namespace-limited token; to prove you hold its bytes, start a new upload and send its parts in order (1, 2, 3, …), then complete`,
    { digest, reason: 'possession-unproven' },
  );
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
