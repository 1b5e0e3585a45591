/**
 * Stored versus logical size of a version's files: a file stored whole counts its size; a file
 * stored as a recipe counts the bytes of the chunks it brought that no live recipe used before
 * (`recipes.new_bytes`, fixed at commit). What the versions API and the UI show per file.
 */
import { sql } from 'drizzle-orm';
import type { VersionFileStorage } from '../../contract/versions';
import type { Deps } from '../../deps';

export async function fileStorage(
  deps: Deps,
  versionId: number,
): Promise<{ files: VersionFileStorage[]; storedSize: number }> {
  const rows = await deps.db.all<{ path: string; digest: string; size: number; new_bytes: number | null }>(
    sql`SELECT f.path, f.digest, f.size, r.new_bytes FROM version_files f
        LEFT JOIN recipes r ON r.digest = f.digest
        WHERE f.version_id = ${versionId} AND f.role = 'file' ORDER BY f.path`,
  );
  const files = rows.map((r) => ({
    path: r.path,
    digest: r.digest,
    size: r.size,
    storedSize: r.new_bytes ?? r.size,
    chunked: r.new_bytes !== null,
  }));
  return { files, storedSize: files.reduce((sum, f) => sum + f.storedSize, 0) };
}
