/**
 * Which blobs each Git LFS repository holds (`lfs_objects`): garbage collection keeps them like
 * blobs a version references, since only git commits (which Cairn never sees) point at them.
 *
 * A row is written only for a blob the caller can see: one already stored and visible to it when
 * it asks to upload (deduplicated), or one it has just uploaded (the `verify` action). So a
 * repository never comes to hold bytes its writers did not have, whatever digests they name.
 *
 * The hold is fenced against garbage collection like a version's files (services/gc.ts): one
 * statement inserts the row only while the blob is live, and GC marks only blobs no row holds,
 * so D1 orders the two and exactly one wins: held (GC skips it) or marked (not held, and the
 * caller must not tell the client the object is stored).
 */

import { sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import { runBatch } from '../../db/client';
import type { Deps } from '../../deps';

/** Holds `digests` for `repo`; returns those held now (the others are no longer live blobs). */
export async function holdObjects(
  deps: Deps,
  repo: string,
  digests: readonly Digest[],
): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const [rows] = await runBatch(deps.db, [
    sql`INSERT INTO lfs_objects (repo, digest, created_at)
        SELECT ${repo}, j.value, ${deps.now()} FROM json_each(${JSON.stringify([...new Set(digests)])}) j
        WHERE EXISTS (SELECT 1 FROM blobs b WHERE b.digest = j.value AND b.state = 'live')
        ON CONFLICT (repo, digest) DO UPDATE SET created_at = lfs_objects.created_at
        RETURNING digest`,
  ]);
  return new Set((rows ?? []).map((r) => String(r.digest)));
}
