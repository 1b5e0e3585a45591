/**
 * Reading versions: lists (newest first), one version with its manifest and annotations, a file
 * by path, and metrics annotations (appended, history kept; the version shows the merge).
 */

import { and, asc, desc, eq, inArray, lt } from 'drizzle-orm';
import type { Digest } from '../contract/grammar';
import type { MetricsEntry, VersionDetail, VersionSummary } from '../contract/versions';
import {
  type ArtifactRow,
  artifacts,
  blobs,
  tags,
  type VersionRow,
  versionFiles,
  versionMetrics,
  versions,
} from '../db/schema';
import type { Deps } from '../deps';
import { pageOf } from '../lib/paging';
import { canAccessNamespace, type Principal } from './auth';
import { fileStorage } from './chunks/stored-size';
import type { ManifestV1 } from './manifest';

const iso = (ms: number) => new Date(ms).toISOString();

export type { VersionSummary } from '../contract/versions';

async function tagsByVersion(deps: Deps, versionIds: number[]): Promise<Map<number, string[]>> {
  const { db } = deps;
  const out = new Map<number, string[]>();
  if (versionIds.length === 0) return out;
  const rows = await db
    .select({ versionId: tags.versionId, name: tags.name })
    .from(tags)
    .where(inArray(tags.versionId, versionIds))
    .orderBy(asc(tags.name));
  for (const r of rows) out.set(r.versionId, [...(out.get(r.versionId) ?? []), r.name]);
  return out;
}

function summary(row: VersionRow, tagNames: string[]): VersionSummary {
  return {
    version: row.number,
    digest: row.digest,
    createdAt: iso(row.createdAt),
    createdBy: row.createdBy,
    fileCount: row.fileCount,
    size: row.totalSize,
    tags: tagNames,
    labels: row.labels ?? {},
  };
}

/** Newest first; the cursor is the last version number seen (at most 500 a page: one tag query). */
export async function listVersions(deps: Deps, artifactId: number, limit: number, before?: number) {
  const { db } = deps;
  const rows = await db
    .select()
    .from(versions)
    .where(
      and(
        eq(versions.artifactId, artifactId),
        before === undefined ? undefined : lt(versions.number, before),
      ),
    )
    .orderBy(desc(versions.number))
    .limit(limit + 1);
  const tagMap = await tagsByVersion(
    deps,
    rows.slice(0, limit).map((r) => r.id),
  );
  return pageOf(
    rows,
    limit,
    (last) => String(last.number),
    (r) => summary(r, tagMap.get(r.id) ?? []),
  );
}

/** A manifest's canonical JSON, unparsed (the diff reads its file list without parsing it). */
export async function readManifestText(deps: Deps, digest: string): Promise<string> {
  const read = await deps.blobs.get(digest as Digest);
  if (!read) throw new Error(`manifest ${digest} has a version row but no stored bytes`);
  return new TextDecoder().decode(await new Response(read.body).arrayBuffer());
}

export async function readManifest(deps: Deps, digest: string): Promise<ManifestV1> {
  return JSON.parse(await readManifestText(deps, digest)) as ManifestV1;
}

export async function metricsOf(deps: Deps, versionId: number) {
  const { db } = deps;
  const rows = await db
    .select()
    .from(versionMetrics)
    .where(eq(versionMetrics.versionId, versionId))
    .orderBy(asc(versionMetrics.id));
  const history: MetricsEntry[] = rows.map((r) => ({ at: iso(r.at), by: r.by, metrics: r.metrics }));
  // Later annotations win key by key.
  const merged = Object.assign({}, ...history.map((h) => h.metrics)) as Record<string, number>;
  return { merged, history };
}

/** A version's detail; the route adds `manifestUrl` and `ociReference`, which need the request's origin. */
export async function versionDetail(
  deps: Deps,
  artifact: ArtifactRow,
  row: VersionRow,
): Promise<Omit<VersionDetail, 'manifestUrl' | 'ociReference'>> {
  const [tagMap, manifest, metrics, storage] = await Promise.all([
    tagsByVersion(deps, [row.id]),
    readManifest(deps, row.digest),
    metricsOf(deps, row.id),
    fileStorage(deps, row.id),
  ]);
  return {
    artifact: artifact.name,
    kind: artifact.kind,
    ...summary(row, tagMap.get(row.id) ?? []),
    manifest,
    metrics: metrics.merged,
    metricsHistory: metrics.history,
    files: storage.files,
    storedSize: storage.storedSize,
  };
}

export async function addMetrics(deps: Deps, versionId: number, metrics: Record<string, number>, by: string) {
  const { db } = deps;
  await db.insert(versionMetrics).values({ versionId, metrics, at: Date.now(), by });
  return metricsOf(deps, versionId);
}

/** The blob behind a file path of a version, or undefined. */
export async function fileBlob(deps: Deps, versionId: number, path: string) {
  const { db } = deps;
  const [row] = await db
    .select({ blob: blobs })
    .from(versionFiles)
    .innerJoin(blobs, eq(blobs.digest, versionFiles.digest))
    .where(
      and(eq(versionFiles.versionId, versionId), eq(versionFiles.role, 'file'), eq(versionFiles.path, path)),
    )
    .limit(1);
  return row?.blob;
}

/** The blob row of a version's manifest and its namespace, if the principal may see it. */
export async function findManifest(deps: Deps, digest: string, principal: Principal | null) {
  const { db } = deps;
  const [row] = await db
    .select({ blob: blobs, namespace: artifacts.namespace })
    .from(versions)
    .innerJoin(artifacts, eq(artifacts.id, versions.artifactId))
    .innerJoin(blobs, eq(blobs.digest, versions.digest))
    .where(eq(versions.digest, digest))
    .limit(1);
  return row && canAccessNamespace(principal, row.namespace) ? row : undefined;
}
