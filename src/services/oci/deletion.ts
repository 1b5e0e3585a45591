/**
 * Deleting over OCI, within Cairn's immutability rules:
 *   - a tag (`DELETE …/manifests/<tag>`): the Cairn tag is deleted like `DELETE /v1/…/tags/<tag>`
 *     (a history event and its OpenLineage event; the caller checked `promote` for protected
 *     tags), and the OCI tag with it;
 *   - a manifest by digest: its OCI record goes (GET by digest answers 404 from then on), with
 *     every tag naming it (Cairn tags on its version, OCI tags on it), each a history event. A
 *     Cairn version is immutable and stays, with its files, reachable over /v1; pushing the same
 *     manifest again restores the record. The bytes are left to garbage collection, which keeps
 *     them while anything (a version, another manifest) still references them.
 * Each is one D1 batch: nothing half-deleted.
 */
import { sql } from 'drizzle-orm';
import { type BatchStatement, runBatch } from '../../db/client';
import type { OciManifestRow } from '../../db/schema';
import type { Deps } from '../../deps';
import { findArtifact } from '../artifacts';
import type { Failure, Result } from '../result';
import { tagDeleteBatch } from '../tags';

const REASON = 'deleted over OCI';

async function cairnTagDeletes(
  deps: Deps,
  repo: string,
  tags: readonly string[],
  by: string,
  origin: string,
): Promise<BatchStatement[]> {
  if (tags.length === 0) return [];
  const artifact = await findArtifact(deps, repo);
  if (!artifact) return [];
  return tags.flatMap((tag) => tagDeleteBatch(deps, artifact, tag, by, REASON, origin));
}

export async function deleteOciTag(
  deps: Deps,
  repo: string,
  tag: string,
  by: string,
  origin: string,
): Promise<Result<object, Failure<'tag-unknown', { tag: string }>>> {
  const statements = [
    ...(await cairnTagDeletes(deps, repo, [tag], by, origin)),
    sql`DELETE FROM oci_tags WHERE repo = ${repo} AND tag = ${tag} RETURNING tag`,
  ];
  const results = await runBatch(deps.db, statements);
  // A Cairn delete is (event, DELETE … RETURNING, outbox); the last statement is the OCI tag's.
  const removed = results.filter((_, k) => k % 3 === 1 || k === results.length - 1).some((r) => r.length > 0);
  return removed ? { ok: true } : { ok: false, reason: 'tag-unknown', tag };
}

export async function deleteOciManifest(
  deps: Deps,
  row: OciManifestRow,
  cairnTags: readonly string[],
  by: string,
  origin: string,
): Promise<void> {
  await runBatch(deps.db, [
    ...(await cairnTagDeletes(deps, row.repo, cairnTags, by, origin)),
    sql`DELETE FROM oci_tags WHERE repo = ${row.repo} AND manifest = ${row.digest}`,
    sql`DELETE FROM oci_manifest_refs WHERE repo = ${row.repo} AND manifest = ${row.digest}`,
    sql`DELETE FROM oci_manifests WHERE repo = ${row.repo} AND digest = ${row.digest}`,
  ]);
}
