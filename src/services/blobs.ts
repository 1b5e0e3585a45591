/**
 * Verified blob storage: bytes go to R2 (checked by R2 against the digest), and only then does a
 * D1 `blobs` row make them visible. Reads consult the row, never R2 alone, so an object that is
 * still being verified (a multipart assembly) is never served.
 */
import { eq, sql } from 'drizzle-orm';
import { chunk, type Db, JSON_CHUNK_ITEMS, runBatch } from '../db/client';
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

export type RegisterResult = 'created' | 'existed' | 'assembly-in-progress';

/**
 * Inserts the row that makes a verified blob visible, unless a multipart assembly of the same
 * digest holds its completion lease: that assembly writes the same R2 key and may still turn
 * out wrong and be deleted, so nothing may become visible under it meanwhile. One statement
 * decides, so D1 orders it strictly before or after the lease (see services/uploads.ts).
 */
export async function registerBlob(
  db: Db,
  digest: Digest,
  size: number,
  now = Date.now(),
): Promise<RegisterResult> {
  const [inserted] = await runBatch(db, [
    sql`INSERT INTO blobs (digest, size, created_at)
        SELECT ${digest}, ${size}, ${now}
        WHERE NOT EXISTS (SELECT 1 FROM uploads
                          WHERE digest = ${digest} AND state = 'completing' AND lease_until > ${now})
        ON CONFLICT (digest) DO NOTHING
        RETURNING digest`,
  ]);
  if (inserted && inserted.length > 0) return 'created';
  return (await findBlob(db, digest)) ? 'existed' : 'assembly-in-progress';
}

export type StoreResult =
  | { ok: true; created: boolean; size: number }
  | { ok: false; reason: 'digest-mismatch' | 'size-mismatch' | 'assembly-in-progress' };

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
  const registered = await registerBlob(db, digest, put.size);
  if (registered === 'assembly-in-progress') return { ok: false, reason: registered };
  return { ok: true, created: registered === 'created', size: put.size };
}
