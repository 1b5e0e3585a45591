/**
 * Verified blob storage: bytes go to R2 (checked by R2 against the digest), and only then does a
 * D1 `blobs` row make them visible. Reads consult the row, never R2 alone, so an object that is
 * still being verified (a multipart assembly) is never served.
 */
import { eq, inArray } from 'drizzle-orm';
import { chunk, D1_MAX_PARAMS, type Db } from '../db/client';
import { type BlobRow, blobs } from '../db/schema';
import type { Digest } from '../lib/digest';
import { putVerified } from '../storage/blob-store';

export function findBlob(db: Db, digest: Digest): Promise<BlobRow | undefined> {
  return db.query.blobs.findFirst({ where: eq(blobs.digest, digest) });
}

/** The digests (from `digests`, order kept, duplicates once) that are not stored. */
export async function missingBlobs(db: Db, digests: readonly Digest[]): Promise<Digest[]> {
  const unique = [...new Set(digests)];
  const found = new Set<string>();
  const batches = chunk(unique, D1_MAX_PARAMS).map((part) =>
    db.select({ digest: blobs.digest }).from(blobs).where(inArray(blobs.digest, part)),
  );
  for (const rows of await Promise.all(batches)) for (const r of rows) found.add(r.digest);
  return unique.filter((d) => !found.has(d));
}

/** Inserts the row that makes a verified blob visible; false when it was already there. */
export async function registerBlob(db: Db, digest: Digest, size: number, now = Date.now()): Promise<boolean> {
  const inserted = await db
    .insert(blobs)
    .values({ digest, size, createdAt: now })
    .onConflictDoNothing()
    .returning({ digest: blobs.digest });
  return inserted.length > 0;
}

export type StoreResult =
  | { ok: true; created: boolean; size: number }
  | { ok: false; reason: 'digest-mismatch' | 'size-mismatch' };

/**
 * Stores one blob from a request body of known length. Already stored → nothing is rewritten
 * (a length that disagrees with the stored size cannot be the same bytes).
 */
export async function storeBlob(
  db: Db,
  bucket: R2Bucket,
  digest: Digest,
  body: ReadableStream | null,
  length: number,
): Promise<StoreResult> {
  const existing = await findBlob(db, digest);
  if (existing) {
    return existing.size === length
      ? { ok: true, created: false, size: existing.size }
      : { ok: false, reason: 'size-mismatch' };
  }
  const put = await putVerified(bucket, digest, body ?? '');
  if (!put.ok) return put;
  const created = await registerBlob(db, digest, put.size);
  return { ok: true, created, size: put.size };
}
