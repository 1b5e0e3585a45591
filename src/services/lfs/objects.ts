/**
 * Which blobs each Git LFS repository holds (`lfs_objects`): garbage collection keeps them like
 * blobs a version references, since only git commits (which Cairn never sees) point at them.
 *
 * A row is written only for a blob the caller can see: one already stored and visible to it when
 * it asks to upload (deduplicated), or one it has just uploaded (the `verify` action). So a
 * repository never comes to hold bytes its writers did not have, whatever digests they name.
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import { type Db, runBatch } from '../../db/client';

export async function holdObjects(db: Db, repo: string, digests: readonly Digest[], now = Date.now()) {
  if (digests.length === 0) return;
  await runBatch(db, [
    sql`INSERT INTO lfs_objects (repo, digest, created_at)
        SELECT ${repo}, value, ${now} FROM json_each(${JSON.stringify([...new Set(digests)])}) WHERE true
        ON CONFLICT (repo, digest) DO NOTHING`,
  ]);
}
