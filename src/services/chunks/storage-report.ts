/**
 * What the store holds, for `GET /v1/admin/storage`: logical bytes (every live blob at its size)
 * against stored bytes (whole objects plus pack objects), the packs' live and dead bytes, and the
 * dedup ratio between the two. One D1 batch of aggregates (full scans: an admin report, not a
 * hot path).
 */
import { sql } from 'drizzle-orm';
import { runBatch } from '../../db/client';
import type { Deps } from '../../deps';

export interface StorageReport {
  /** Σ size of live blobs, whole and chunked. */
  logicalBytes: number;
  /** Σ size of every file of every version (what a store without any dedup would hold). */
  versionFileBytes: number;
  /** Bytes in R2: whole blobs and pack objects. */
  storedBytes: number;
  /** logicalBytes / storedBytes (1 when nothing is stored). */
  dedupRatio: number;
  blobs: { whole: { count: number; bytes: number }; chunked: { count: number; bytes: number } };
  /** Pack objects; `liveBytes`: chunks some recipe uses; `deadBytes`: the rest (headers included). */
  packs: { count: number; bytes: number; liveBytes: number; deadBytes: number };
  chunks: { count: number; bytes: number; live: number };
}

const n = (v: unknown) => Number(v ?? 0);

export async function storageReport(deps: Deps): Promise<StorageReport> {
  const [blobRows, fileRows, packRows, chunkRows] = await runBatch(deps.db, [
    sql`SELECT (r.digest IS NOT NULL) AS chunked, count(*) AS count, coalesce(sum(b.size), 0) AS bytes
        FROM blobs b LEFT JOIN recipes r ON r.digest = b.digest
        WHERE b.state = 'live' GROUP BY chunked`,
    sql`SELECT coalesce(sum(size), 0) AS bytes FROM version_files WHERE role = 'file'`,
    sql`SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM packs WHERE state != 'deleting'`,
    sql`SELECT count(*) AS count, coalesce(sum(length), 0) AS bytes,
               coalesce(sum(used), 0) AS live, coalesce(sum(used * length), 0) AS live_bytes
        FROM (SELECT c.length, EXISTS (SELECT 1 FROM recipe_chunks r WHERE r.chunk = c.hash) AS used
              FROM chunks c JOIN packs p ON p.id = c.pack_id AND p.state != 'deleting')`,
  ]);
  const byKind = (chunked: number) => {
    const row = blobRows?.find((r) => n(r.chunked) === chunked);
    return { count: n(row?.count), bytes: n(row?.bytes) };
  };
  const whole = byKind(0);
  const chunked = byKind(1);
  const packs = { count: n(packRows?.[0]?.count), bytes: n(packRows?.[0]?.bytes) };
  const liveBytes = n(chunkRows?.[0]?.live_bytes);
  const logicalBytes = whole.bytes + chunked.bytes;
  const storedBytes = whole.bytes + packs.bytes;
  return {
    logicalBytes,
    versionFileBytes: n(fileRows?.[0]?.bytes),
    storedBytes,
    dedupRatio: storedBytes === 0 ? 1 : logicalBytes / storedBytes,
    blobs: { whole, chunked },
    packs: { ...packs, liveBytes, deadBytes: packs.bytes - liveBytes },
    chunks: {
      count: n(chunkRows?.[0]?.count),
      bytes: n(chunkRows?.[0]?.bytes),
      live: n(chunkRows?.[0]?.live),
    },
  };
}
