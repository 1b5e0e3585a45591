/**
 * The D1 side of chunked reads (storage/chunked-blob-store.ts): which live blobs are recipes, and
 * where the chunks of a byte range lie. Pieces are read a page at a time in blob order, so a
 * 10 GB file (160,000 chunks) is never one result set, and a range read touches only the rows
 * that overlap it (recipe_chunks is keyed by (digest, offset)).
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import type { Db } from '../../db/client';
import type { ChunkPiece, RecipeIndex } from '../../storage/chunked-blob-store';

/** Recipe rows per query while streaming: ~320 MiB of file at the 64 KiB average. */
const PAGE_ROWS = 5000;

interface PieceRow {
  blob_offset: number;
  length: number;
  pack_id: string;
  pack_offset: number;
}

export function d1RecipeIndex(db: Db): RecipeIndex {
  return {
    async find(digest: Digest) {
      const [row] = await db.all<{ size: number; created_at: number }>(
        sql`SELECT r.size, r.created_at FROM recipes r JOIN blobs b ON b.digest = r.digest
            WHERE r.digest = ${digest} AND b.state = 'live'`,
      );
      return row ? { size: row.size, created: new Date(row.created_at) } : null;
    },

    async *pieces(digest: Digest, start: number, end: number): AsyncGenerator<ChunkPiece> {
      // The first chunk is the last one starting at or before `start`.
      let from = sql`(SELECT coalesce(max(blob_offset), 0) FROM recipe_chunks
                      WHERE digest = ${digest} AND blob_offset <= ${start})`;
      let covered = start;
      while (covered < end) {
        const rows = await db.all<PieceRow>(
          sql`SELECT r.blob_offset, r.length, c.pack_id, c.pack_offset
              FROM recipe_chunks r JOIN chunks c ON c.hash = r.chunk
              WHERE r.digest = ${digest} AND r.blob_offset >= ${from} AND r.blob_offset < ${end}
              ORDER BY r.blob_offset LIMIT ${PAGE_ROWS}`,
        );
        for (const row of rows) {
          const skip = covered - row.blob_offset;
          // Rows must tile the blob: a gap or an overlap means the index is not what was verified.
          if (skip < 0 || skip >= row.length) {
            throw new Error(`recipe of ${digest} does not cover byte ${covered} contiguously`);
          }
          const length = Math.min(row.length - skip, end - covered);
          yield { packId: row.pack_id, packOffset: row.pack_offset + skip, length };
          covered += length;
        }
        if (rows.length < PAGE_ROWS) break;
        from = sql`${covered}`;
      }
      if (covered !== end) throw new Error(`recipe of ${digest} ends at byte ${covered}, not ${end}`);
    },
  };
}
