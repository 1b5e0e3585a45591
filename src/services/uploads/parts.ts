/**
 * Receiving the parts of a multipart upload, and hashing them on the way when they arrive in
 * order (the fast path of index.ts): announce, then write.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import type { PartReceipt } from '../../contract/uploads';
import { type UploadRow, uploadParts, uploads } from '../../db/schema';
import type { Deps } from '../../deps';
import { ResumableSha256 } from '../../lib/resumable-sha256';
import type { PartOutcome } from '../../storage/blob-store';
import type { Failure, Result } from '../result';
import {
  type BusyUpload,
  type ExpiredUpload,
  forgetSession,
  liveSession,
  type SessionFailure,
  type UnknownUpload,
} from './session';

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
async function announcePart(
  deps: Deps,
  uploadId: string,
  n: number,
): Promise<Result<{ role: Role }, UnknownUpload | BusyUpload>> {
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
    return { ok: false, reason: still ? 'upload-completing' : 'upload-unknown', uploadId };
  }
  if (after.hashClaim !== n) return { ok: true, role: { hash: false } };
  const hasher =
    after.hashedThrough === 0
      ? ResumableSha256.create()
      : after.hashState === null
        ? null
        : ResumableSha256.restore(after.hashState);
  if (hasher) return { ok: true, role: { hash: true, hasher } };
  // A state this build cannot continue (another hash-wasm binary): give the claim up for good.
  await voidHashing(deps, uploadId);
  return { ok: true, role: { hash: false } };
}

async function voidHashing(deps: Deps, uploadId: string): Promise<void> {
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
export async function pumpThroughHasher(
  body: ReadableStream<Uint8Array>,
  sink: WritableStream<Uint8Array>,
  hasher: { update(bytes: Uint8Array): unknown },
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

export type PartFailure =
  | SessionFailure
  | BusyUpload
  /** Past the session's last part. */
  | Failure<'part-past-end', { partNumber: number; partCount: number }>
  /** Not the size the plan gives this part. */
  | Failure<'part-size', { partNumber: number; expected: number; got: number }>;

export async function receivePart(
  deps: Deps,
  uploadId: string,
  partNumber: number,
  body: ReadableStream | null,
  length: number,
): Promise<Result<{ receipt: PartReceipt }, PartFailure>> {
  const live = await liveSession(deps, uploadId);
  if (!live.ok) return live;
  const { row } = live;
  if (row.state !== 'open') return { ok: false, reason: 'upload-completing', uploadId };
  if (partNumber > row.partCount) {
    return { ok: false, reason: 'part-past-end', partNumber, partCount: row.partCount };
  }
  const expected = expectedPartSize(row, partNumber);
  if (length !== expected) return { ok: false, reason: 'part-size', partNumber, expected, got: length };
  const announced = await announcePart(deps, uploadId, partNumber);
  if (!announced.ok) return announced;
  const { role } = announced;
  let stored: PartOutcome;
  let hashedAll = false;
  try {
    if (role.hash && body) {
      const fixed = new FixedLengthStream(length);
      const stillClaimed = async () => {
        const current = await deps.db.query.uploads.findFirst({
          columns: { hashClaim: true },
          where: eq(uploads.id, uploadId),
        });
        return current?.hashClaim === partNumber;
      };
      [stored, hashedAll] = await Promise.all([
        deps.blobs.multipart.putPart(row.digest as Digest, row.r2UploadId, partNumber, fixed.readable),
        pumpThroughHasher(body, fixed.writable, role.hasher, stillClaimed),
      ]);
    } else {
      stored = await deps.blobs.multipart.putPart(
        row.digest as Digest,
        row.r2UploadId,
        partNumber,
        body ?? new ArrayBuffer(0),
      );
    }
  } catch (err) {
    // Aborted between our check and the store's write: report the session's fate, not a 500.
    // (A failed hashing request keeps its claim: the part's next write voids the state.)
    const still = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
    if (!still) return { ok: false, reason: 'upload-unknown', uploadId };
    throw err;
  }
  if (!stored.ok) {
    const still = await deps.db.query.uploads.findFirst({ where: eq(uploads.id, uploadId) });
    if (!still) return { ok: false, reason: 'upload-unknown', uploadId };
    return partAfterAssembly(deps, row, partNumber, length);
  }
  const { etag } = stored;
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
    if (!still) return { ok: false, reason: 'upload-unknown', uploadId };
    throw err;
  }
  return { ok: true, receipt: { part: partNumber, size: length } };
}

/**
 * A part re-sent after an earlier `complete` had R2 assemble the parts, then failed before
 * recording the blob: R2 takes no more parts, but none are needed. If this part was received
 * before with this size, it is acknowledged again, and `complete` verifies the assembled object
 * by re-hashing it. Otherwise the session cannot finish: it is dropped (410, start anew).
 */
async function partAfterAssembly(
  deps: Deps,
  row: UploadRow,
  partNumber: number,
  length: number,
): Promise<Result<{ receipt: PartReceipt }, ExpiredUpload>> {
  const [object, received] = await Promise.all([
    deps.blobs.head(row.digest as Digest),
    deps.db.query.uploadParts.findFirst({
      where: and(eq(uploadParts.uploadId, row.id), eq(uploadParts.partNumber, partNumber)),
    }),
  ]);
  if (object && object.size === row.size && received?.size === length) {
    return { ok: true, receipt: { part: partNumber, size: length } };
  }
  return forgetSession(deps, row.id);
}
