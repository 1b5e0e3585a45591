/**
 * Finding artifacts and versions by name and selector: the lookups every artifact route, resolve
 * and publish (for its inputs) share. A token limited to namespaces sees other namespaces as
 * not existing, so names cannot be enumerated.
 */

import { and, asc, desc, eq, gt, gte, inArray, lt, sql } from 'drizzle-orm';
import type { ArtifactDetail, ArtifactSummary } from '../contract/artifacts';
import type { Ref, Selector } from '../contract/grammar';
import { type ArtifactRow, artifacts, tags, type VersionRow, versions } from '../db/schema';
import type { Deps } from '../deps';
import { pageOf } from '../lib/paging';
import { canAccessNamespace, type Principal } from './auth';
import { listTags } from './tags';

export function findArtifact(deps: Deps, name: string): Promise<ArtifactRow | undefined> {
  const { db } = deps;
  return db.query.artifacts.findFirst({ where: eq(artifacts.name, name) });
}

export async function findVersion(
  deps: Deps,
  artifactId: number,
  selector: Selector,
): Promise<VersionRow | undefined> {
  const { db } = deps;
  switch (selector.kind) {
    case 'number':
      return db.query.versions.findFirst({
        where: and(eq(versions.artifactId, artifactId), eq(versions.number, selector.number)),
      });
    case 'digest':
      return db.query.versions.findFirst({
        where: and(eq(versions.artifactId, artifactId), eq(versions.digest, selector.digest)),
      });
    case 'tag': {
      const [row] = await db
        .select({ version: versions })
        .from(tags)
        .innerJoin(versions, eq(versions.id, tags.versionId))
        .where(and(eq(tags.artifactId, artifactId), eq(tags.name, selector.tag)))
        .limit(1);
      return row?.version;
    }
  }
}

export interface Resolved {
  artifact: ArtifactRow;
  version: VersionRow;
}

/** The SQL condition selecting the version a selector names, for a query joining `versions`. */
function selectorCondition(selector: Selector) {
  switch (selector.kind) {
    case 'number':
      return eq(versions.number, selector.number);
    case 'digest':
      return eq(versions.digest, selector.digest);
    case 'tag':
      return sql`${versions.id} = (SELECT t.version_id FROM tags t WHERE t.artifact_id = ${versions.artifactId} AND t.name = ${selector.tag})`;
  }
}

/**
 * Resolves a ref to its artifact and version in one D1 round trip (resolve is the hot path of
 * every deployment and pipeline); undefined when either does not exist or is hidden.
 */
export async function resolveRef(
  deps: Deps,
  ref: Ref,
  principal: Principal | null,
): Promise<Resolved | undefined> {
  const { db } = deps;
  if (!canAccessNamespace(principal, ref.namespace)) return undefined;
  const [row] = await db
    .select({ artifact: artifacts, version: versions })
    .from(versions)
    .innerJoin(artifacts, eq(artifacts.id, versions.artifactId))
    .where(and(eq(artifacts.name, ref.artifact), selectorCondition(ref.selector)))
    .limit(1);
  return row;
}

/** Artifacts by name; `prefix` narrows (`acme/` or `acme/ch`); the cursor is the last name seen. */
export async function listArtifacts(
  deps: Deps,
  principal: Principal | null,
  opts: { prefix?: string | undefined; limit: number; after?: string | undefined },
) {
  const { db } = deps;
  const conditions = [];
  // Names are [a-z0-9._-/]: every name starting with the prefix sorts before prefix + '~'.
  if (opts.prefix) conditions.push(gte(artifacts.name, opts.prefix), lt(artifacts.name, `${opts.prefix}~`));
  if (opts.after) conditions.push(gt(artifacts.name, opts.after));
  if (principal?.namespaces) conditions.push(inArray(artifacts.namespace, [...principal.namespaces]));
  const rows = await db
    .select({
      name: artifacts.name,
      kind: artifacts.kind,
      createdAt: artifacts.createdAt,
      // Spelled out: drizzle drops the table name from columns of single-table selects, which
      // would bind `id` to the subquery's own table.
      latestVersion: sql<
        number | null
      >`(SELECT MAX(v.number) FROM versions v WHERE v.artifact_id = "artifacts"."id")`,
    })
    .from(artifacts)
    .where(and(...conditions))
    .orderBy(asc(artifacts.name))
    .limit(opts.limit + 1);
  return pageOf(
    rows,
    opts.limit,
    (last) => last.name,
    (r): ArtifactSummary => ({
      ...r,
      createdAt: new Date(r.createdAt).toISOString(),
    }),
  );
}

export async function artifactDetail(deps: Deps, artifact: ArtifactRow): Promise<ArtifactDetail> {
  const { db } = deps;
  const [latest, tagMap, count] = await Promise.all([
    db.query.versions.findFirst({
      where: eq(versions.artifactId, artifact.id),
      orderBy: desc(versions.number),
    }),
    listTags(deps, artifact.id),
    db.select({ n: sql<number>`count(*)` }).from(versions).where(eq(versions.artifactId, artifact.id)),
  ]);
  return {
    name: artifact.name,
    kind: artifact.kind,
    createdAt: new Date(artifact.createdAt).toISOString(),
    createdBy: artifact.createdBy,
    tags: tagMap,
    latestVersion: latest
      ? { version: latest.number, digest: latest.digest, createdAt: new Date(latest.createdAt).toISOString() }
      : null,
    versionCount: count[0]?.n ?? 0,
  };
}
