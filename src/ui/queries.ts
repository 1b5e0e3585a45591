/**
 * The UI's list queries. Each list is ONE statement (and the artifact page's lists go to D1 in
 * one batch): the API's list services return bare rows and look up tags or metrics in a second
 * round trip, which a page showing tags, metrics and history together would pay per list.
 * Paging follows the API's: `limit + 1` rows, cursors from lib/paging (artifact name; version
 * number; event id). Namespace limits are applied in SQL, as listArtifacts does.
 */

import { type SQL, sql } from 'drizzle-orm';
import { runBatch } from '../db/client';
import type { Deps } from '../deps';
import { type Page, pageOf } from '../lib/paging';
import type { Principal } from '../services/auth';
import type { VersionSummary } from '../services/versions';

type Row = Record<string, unknown>;

// Aggregates are sorted here, not with `json_group_array(… ORDER BY …)`: that needs SQLite 3.44.
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Annotations in the order they were added (by id); later ones win key by key. */
function mergeMetrics(rows: [number, Record<string, number>][]): Record<string, number> {
  return Object.assign({}, ...rows.sort((a, b) => a[0] - b[0]).map(([, metrics]) => metrics));
}

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const json = <T>(raw: unknown, fallback: T): T => (raw == null ? fallback : (JSON.parse(String(raw)) as T));

export interface ArtifactListItem {
  name: string;
  kind: string;
  createdAt: string;
  latestVersion: number | null;
  versionCount: number;
  tags: { tag: string; version: number }[];
}

/** Artifacts by name with their latest version, version count and tags; `prefix` narrows. */
export async function listArtifactItems(
  deps: Deps,
  principal: Principal | null,
  opts: { prefix?: string | undefined; after?: string | undefined; limit: number },
): Promise<Page<ArtifactListItem>> {
  const { db } = deps;
  const where: SQL[] = [sql`1 = 1`];
  // Names are [a-z0-9._-/]: every name starting with the prefix sorts before prefix + '~'.
  if (opts.prefix) where.push(sql`a.name >= ${opts.prefix} AND a.name < ${`${opts.prefix}~`}`);
  if (opts.after) where.push(sql`a.name > ${opts.after}`);
  if (principal?.namespaces) {
    where.push(sql`a.namespace IN (SELECT value FROM json_each(${JSON.stringify(principal.namespaces)}))`);
  }
  const rows = await db.all<Row>(sql`
    SELECT a.name, a.kind, a.created_at,
      (SELECT MAX(v.number) FROM versions v WHERE v.artifact_id = a.id) AS latest,
      (SELECT COUNT(*) FROM versions v WHERE v.artifact_id = a.id) AS version_count,
      (SELECT json_group_array(json_array(t.name, v.number))
         FROM tags t JOIN versions v ON v.id = t.version_id WHERE t.artifact_id = a.id) AS tags
    FROM artifacts a WHERE ${sql.join(where, sql` AND `)}
    ORDER BY a.name LIMIT ${opts.limit + 1}`);
  return pageOf(
    rows,
    opts.limit,
    (last) => String(last.name),
    (r): ArtifactListItem => ({
      name: String(r.name),
      kind: String(r.kind),
      createdAt: iso(r.created_at),
      latestVersion: r.latest == null ? null : Number(r.latest),
      versionCount: Number(r.version_count),
      tags: json<[string, number][]>(r.tags, [])
        .map(([tag, version]) => ({ tag, version }))
        .sort((a, b) => compareText(a.tag, b.tag)),
    }),
  );
}

export interface VersionListItem extends Omit<VersionSummary, 'labels'> {
  /** Metrics annotations merged in order (later ones win key by key), as the API shows them. */
  metrics: Record<string, number>;
}

export interface TagItem {
  tag: string;
  digest: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export interface TagEventItem {
  tag: string;
  from: { digest: string; version: number | null } | null;
  to: { digest: string; version: number | null } | null;
  at: string;
  by: string;
  reason: string | null;
}

export interface ArtifactOverview {
  versions: Page<VersionListItem>;
  versionCount: number;
  tags: TagItem[];
  events: Page<TagEventItem>;
}

/** The artifact page's lists in one D1 batch: a page of versions, the tags, a page of tag moves. */
export async function artifactOverview(
  deps: Deps,
  artifactId: number,
  opts: { before?: number | undefined; limit: number; eventsBefore?: number | undefined; eventLimit: number },
): Promise<ArtifactOverview> {
  const { db } = deps;
  const [versionRows = [], countRows = [], tagRows = [], eventRows = []] = await runBatch(db, [
    sql`
      SELECT v.number, v.digest, v.created_at, v.created_by, v.file_count, v.total_size,
        (SELECT json_group_array(t.name) FROM tags t WHERE t.version_id = v.id) AS tags,
        (SELECT json_group_array(json_array(m.id, json(m.metrics)))
           FROM version_metrics m WHERE m.version_id = v.id) AS metrics
      FROM versions v
      WHERE v.artifact_id = ${artifactId} AND v.number < ${opts.before ?? Number.MAX_SAFE_INTEGER}
      ORDER BY v.number DESC LIMIT ${opts.limit + 1}`,
    sql`SELECT COUNT(*) AS n FROM versions WHERE artifact_id = ${artifactId}`,
    sql`
      SELECT t.name, t.digest, v.number, t.updated_at, t.updated_by
      FROM tags t JOIN versions v ON v.id = t.version_id
      WHERE t.artifact_id = ${artifactId} ORDER BY t.name`,
    sql`
      SELECT e.id, e.tag, e.from_digest, e.to_digest, e.at, e.by, e.reason,
        (SELECT number FROM versions WHERE digest = e.from_digest) AS from_number,
        (SELECT number FROM versions WHERE digest = e.to_digest) AS to_number
      FROM tag_events e
      WHERE e.artifact_id = ${artifactId} AND e.id < ${opts.eventsBefore ?? Number.MAX_SAFE_INTEGER}
      ORDER BY e.id DESC LIMIT ${opts.eventLimit + 1}`,
  ]);
  const side = (digest: unknown, number: unknown) =>
    digest == null ? null : { digest: String(digest), version: number == null ? null : Number(number) };
  return {
    versions: pageOf(
      versionRows,
      opts.limit,
      (last) => String(last.number),
      (r): VersionListItem => ({
        version: Number(r.number),
        digest: String(r.digest),
        createdAt: iso(r.created_at),
        createdBy: String(r.created_by),
        fileCount: Number(r.file_count),
        size: Number(r.total_size),
        tags: json<string[]>(r.tags, []).sort(compareText),
        metrics: mergeMetrics(json<[number, Record<string, number>][]>(r.metrics, [])),
      }),
    ),
    versionCount: Number(countRows[0]?.n ?? 0),
    tags: tagRows.map((r) => ({
      tag: String(r.name),
      digest: String(r.digest),
      version: Number(r.number),
      updatedAt: iso(r.updated_at),
      updatedBy: String(r.updated_by),
    })),
    events: pageOf(
      eventRows,
      opts.eventLimit,
      (last) => String(last.id),
      (r): TagEventItem => ({
        tag: String(r.tag),
        from: side(r.from_digest, r.from_number),
        to: side(r.to_digest, r.to_number),
        at: iso(r.at),
        by: String(r.by),
        reason: r.reason == null ? null : String(r.reason),
      }),
    ),
  };
}
