/**
 * A revision's commit history (`list_repo_commits`): the version, then its `parent` input, then
 * that one's, within the artifact; the chain every Hub commit records (services/hf/commit.ts).
 * A version published natively without a `parent` input ends the chain. One `WITH RECURSIVE`
 * statement a page: a chain is immutable once its first version is fixed, so the route links the
 * next page as the history of that page's first commit (offset 0, a walk of one page); `offset`
 * serves a client that asks for `?p=` itself.
 */
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps';

export interface HistoryEntry {
  digest: string;
  number: number;
  createdAt: number;
  createdBy: string;
  labels: Record<string, string> | null;
}

/** At most `limit` versions of the chain from `versionId`, skipping the first `offset`. */
export async function commitHistory(
  deps: Deps,
  artifactId: number,
  versionId: number,
  offset: number,
  limit: number,
): Promise<HistoryEntry[]> {
  const rows = await deps.db.all<{
    digest: string;
    number: number;
    created_at: number;
    created_by: string;
    labels: string | null;
  }>(sql`
    WITH RECURSIVE chain(id, depth) AS (
      SELECT ${versionId}, 0
      UNION
      SELECT e.input_id, c.depth + 1 FROM chain c
        JOIN lineage_edges e ON e.output_id = c.id AND e.role = 'parent'
        JOIN versions p ON p.id = e.input_id AND p.artifact_id = ${artifactId}
      WHERE c.depth < ${offset + limit}
    )
    SELECT v.digest, v.number, v.created_at, v.created_by, v.labels
    FROM chain c JOIN versions v ON v.id = c.id
    ORDER BY c.depth LIMIT ${limit} OFFSET ${offset}`);
  return rows.map((r) => ({
    digest: r.digest,
    number: r.number,
    createdAt: r.created_at,
    createdBy: r.created_by,
    labels: r.labels ? (JSON.parse(r.labels) as Record<string, string>) : null,
  }));
}
