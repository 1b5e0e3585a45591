/**
 * Verified blob storage: bytes go to R2 (checked by R2 against the digest), and only then does a
 * D1 `blobs` row make them visible. Reads consult the row, never R2 alone, so an object that is
 * still being verified (a multipart assembly) is never served.
 */
import { eq, sql } from 'drizzle-orm';
import { chunk, type Db, JSON_CHUNK_ITEMS } from '../db/client';
import { type BlobRow, blobs } from '../db/schema';
import type { Digest } from '../lib/digest';
import { putVerified } from '../storage/blob-store';

export function findBlob(db: Db, digest: Digest): Promise<BlobRow | undefined> {
  return db.query.blobs.findFirst({ where: eq(blobs.digest, digest) });
}

/**
 * Sizes of the stored blobs among `digests`. The list travels as one JSON parameter per chunk
 * (`json_each`), so 100,000 digests cost a handful of statements, not one per 100 parameters.
 */
export async function storedSizes(db: Db, digests: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const queries = chunk([...new Set(digests)], JSON_CHUNK_ITEMS).map((part) =>
    db.all<{ digest: string; size: number }>(
      sql`SELECT digest, size FROM blobs WHERE digest IN (SELECT value FROM json_each(${JSON.stringify(part)}))`,
    ),
  );
  for (const rows of await Promise.all(queries)) for (const r of rows) found.set(r.digest, r.size);
  return found;
}

/** The digests (from `digests`, order kept, duplicates once) that are not stored. */
export async function missingBlobs(db: Db, digests: readonly Digest[]): Promise<Digest[]> {
  const found = await storedSizes(db, digests);
  return [...new Set(digests)].filter((d) => !found.has(d));
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
