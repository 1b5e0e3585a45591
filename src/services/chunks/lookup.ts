/**
 * Which chunks are stored, live and visible to a principal, and where: the one rule behind
 * `POST /v1/chunks/known` and the recipe check, so the two can never disagree.
 *
 * A chunk is stored and live when its row points into a `live` pack. A namespace-limited token
 * (SECURITY.md) sees a chunk only when it proved it holds the bytes (uploaded them in a pack: a
 * `chunk_grants` row) or when a live blob it may read (the rule of services/blobs.ts) is a recipe
 * that uses it. Any other chunk answers exactly like one that does not exist: knowing a chunk's
 * hash must not tell a token that some file in another namespace contains it.
 */
import { sql } from 'drizzle-orm';
import { chunk, JSON_CHUNK_ITEMS } from '../../db/client';
import type { Deps } from '../../deps';
import type { Principal } from '../auth';
import { limitedTo, visibleIn } from '../blobs';

export interface StoredChunk {
  packId: string;
  packOffset: number;
  length: number;
  /** Some live recipe already uses it (so its bytes are not new to the store). */
  used: boolean;
}

/** SQL: the chunk `c` is visible to a token limited to the JSON list `namespaces`. */
function chunkVisibleIn(namespaces: string) {
  return sql`(
    EXISTS (SELECT 1 FROM chunk_grants g
            WHERE g.hash = c.hash AND g.namespace IN (SELECT value FROM json_each(${namespaces})))
    OR EXISTS (SELECT 1 FROM recipe_chunks rc JOIN blobs b ON b.digest = rc.digest AND b.state = 'live'
               WHERE rc.chunk = c.hash AND ${visibleIn(sql.raw('rc.digest'), namespaces)}))`;
}

/** The stored, live chunks among `hashes` that `principal` may know of (see the header). */
export async function storedChunks(
  deps: Deps,
  hashes: readonly string[],
  principal: Principal | null,
): Promise<Map<string, StoredChunk>> {
  const namespaces = limitedTo(principal);
  const queries = chunk([...new Set(hashes)], JSON_CHUNK_ITEMS).map((part) =>
    deps.db.all<{ hash: string; pack_id: string; pack_offset: number; length: number; used: number }>(
      sql`SELECT c.hash, c.pack_id, c.pack_offset, c.length,
                 EXISTS (SELECT 1 FROM recipe_chunks u WHERE u.chunk = c.hash) AS used
          FROM chunks c JOIN packs p ON p.id = c.pack_id AND p.state = 'live'
          WHERE c.hash IN (SELECT value FROM json_each(${JSON.stringify(part)}))
          ${namespaces === null ? sql`` : sql`AND ${chunkVisibleIn(namespaces)}`}`,
    ),
  );
  const found = new Map<string, StoredChunk>();
  for (const rows of await Promise.all(queries)) {
    for (const r of rows) {
      found.set(r.hash, {
        packId: r.pack_id,
        packOffset: r.pack_offset,
        length: r.length,
        used: r.used === 1,
      });
    }
  }
  return found;
}

/** The hashes (order kept, duplicates once) that are stored, live and visible to `principal`. */
export async function knownChunks(
  deps: Deps,
  hashes: readonly string[],
  principal: Principal | null,
): Promise<string[]> {
  const found = await storedChunks(deps, hashes, principal);
  return [...new Set(hashes)].filter((h) => found.has(h));
}
