/**
 * Reading OCI manifests of a repository: what a reference (tag, digest, version number) names,
 * the tags list, the referrers of a digest, and the tags a manifest's deletion takes away. Which
 * manifest a tag names is explained in manifests.ts (the Cairn tag is the authority); a version
 * published without OCI is served its generated manifest (generated.ts).
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import type { OciManifestRow } from '../../db/schema';
import type { Deps } from '../../deps';
import { generatedManifest } from './generated';
import type { Reference } from './manifests';

type ManifestSqlRow = {
  repo: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  size: number;
  version_digest: string | null;
  created_at: number;
};

function rowOf(r: ManifestSqlRow): OciManifestRow {
  return {
    repo: r.repo,
    digest: r.digest,
    mediaType: r.media_type,
    artifactType: r.artifact_type,
    subject: r.subject,
    annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : null,
    size: r.size,
    versionDigest: r.version_digest,
    createdAt: r.created_at,
  };
}

/**
 * The manifest a reference names in `repo` (see the header for tags): by digest, the record; by
 * tag, the manifest the last OCI push of the tag named while the Cairn tag still points at its
 * version, else an OCI manifest of the version the Cairn tag points at.
 */
export async function findManifest(
  deps: Deps,
  repo: string,
  reference: Reference,
): Promise<OciManifestRow | null> {
  if (reference.kind === 'digest') {
    const [row] = await deps.db.all<ManifestSqlRow>(
      sql`SELECT * FROM oci_manifests WHERE repo = ${repo} AND digest = ${reference.digest}`,
    );
    return row ? rowOf(row) : null;
  }
  // The version the reference names: the Cairn tag's, or the numbered one.
  const versionOf =
    reference.kind === 'tag'
      ? sql`SELECT t.digest FROM tags t JOIN artifacts a ON a.id = t.artifact_id
            WHERE a.name = ${repo} AND t.name = ${reference.tag}`
      : sql`SELECT v.digest FROM versions v JOIN artifacts a ON a.id = v.artifact_id
            WHERE a.name = ${repo} AND v.number = ${reference.number}`;
  const pushedByTag =
    reference.kind === 'tag'
      ? sql`SELECT m.*, 0 AS rank FROM oci_tags o JOIN oci_manifests m ON m.repo = o.repo AND m.digest = o.manifest
              WHERE o.repo = ${repo} AND o.tag = ${reference.tag}
                AND (m.version_digest IS NULL OR m.version_digest = (SELECT digest FROM cairn))
            UNION ALL`
      : sql``;
  const [row] = await deps.db.all<ManifestSqlRow>(sql`
    WITH cairn AS (${versionOf})
    ${pushedByTag}
    SELECT m.*, 1 AS rank FROM oci_manifests m
      WHERE m.repo = ${repo} AND m.version_digest = (SELECT digest FROM cairn)
    ORDER BY rank, created_at DESC LIMIT 1`);
  if (row) return rowOf(row);
  // A version published without OCI (over /v1, the CLI, Git LFS): its generated manifest.
  const [version] = await deps.db.all<{ digest: string }>(versionOf);
  return version ? generatedManifest(deps, repo, version.digest as Digest) : null;
}

/**
 * Tag names of `repo` in order, after `last`, at most `n`: Cairn's tags, and OCI-only ones (an
 * index's; a tag naming a version's manifest is a Cairn tag, and gone when that is deleted).
 */
export async function listOciTags(
  deps: Deps,
  repo: string,
  n: number,
  last: string | undefined,
): Promise<string[]> {
  const rows = await deps.db.all<{ name: string }>(sql`
    SELECT name FROM (
      SELECT t.name AS name FROM tags t JOIN artifacts a ON a.id = t.artifact_id WHERE a.name = ${repo}
      UNION SELECT o.tag AS name FROM oci_tags o
            JOIN oci_manifests m ON m.repo = o.repo AND m.digest = o.manifest
            WHERE o.repo = ${repo} AND m.version_digest IS NULL)
    WHERE name > ${last ?? ''} ORDER BY name LIMIT ${n}`);
  return rows.map((r) => r.name);
}

/** Whether `repo` exists for OCI: an artifact, or any OCI manifest pushed to it. */
export async function repoExists(deps: Deps, repo: string): Promise<boolean> {
  const [row] = await deps.db.all<{ one: number }>(sql`
    SELECT 1 AS one WHERE EXISTS (SELECT 1 FROM artifacts WHERE name = ${repo})
                       OR EXISTS (SELECT 1 FROM oci_manifests WHERE repo = ${repo})`);
  return row !== undefined;
}

/** Manifests of `repo` whose subject is `digest` (the referrers API), optionally of one artifact type. */
export async function referrers(
  deps: Deps,
  repo: string,
  digest: Digest,
  artifactType: string | undefined,
): Promise<OciManifestRow[]> {
  const rows = await deps.db.all<ManifestSqlRow>(sql`
    SELECT * FROM oci_manifests WHERE repo = ${repo} AND subject = ${digest}
      ${artifactType === undefined ? sql`` : sql`AND artifact_type = ${artifactType}`}
    ORDER BY digest LIMIT 1000`);
  return rows.map(rowOf);
}

/** The tags a manifest's deletion takes away: Cairn tags on its version, and OCI tags naming it. */
export async function tagsOfManifest(
  deps: Deps,
  row: OciManifestRow,
): Promise<{ cairn: string[]; oci: string[] }> {
  const [cairn, oci] = await Promise.all([
    row.versionDigest
      ? deps.db.all<{ name: string }>(sql`
          SELECT t.name AS name FROM tags t JOIN artifacts a ON a.id = t.artifact_id
          WHERE a.name = ${row.repo} AND t.digest = ${row.versionDigest}`)
      : Promise.resolve([]),
    deps.db.all<{ name: string }>(
      sql`SELECT tag AS name FROM oci_tags WHERE repo = ${row.repo} AND manifest = ${row.digest}`,
    ),
  ]);
  return { cairn: cairn.map((r) => r.name), oci: oci.map((r) => r.name) };
}

/**
 * Repository names for `GET /v2/_catalog`, in order, after `last`, at most `n`: every artifact
 * and every repository an OCI manifest was pushed to, only in `namespaces` when the token is
 * limited to some (the others are not listed: names cannot be probed).
 */
export async function listRepositories(
  deps: Deps,
  namespaces: readonly string[] | null,
  n: number,
  last: string | undefined,
): Promise<string[]> {
  const limited = namespaces === null ? null : JSON.stringify(namespaces);
  const rows = await deps.db.all<{ name: string }>(sql`
    SELECT name FROM (
      SELECT name, namespace FROM artifacts
      UNION SELECT DISTINCT repo AS name, substr(repo, 1, instr(repo, '/') - 1) AS namespace FROM oci_manifests)
    WHERE name > ${last ?? ''}
      ${limited === null ? sql`` : sql`AND namespace IN (SELECT value FROM json_each(${limited}))`}
    ORDER BY name LIMIT ${n}`);
  return rows.map((r) => r.name);
}
