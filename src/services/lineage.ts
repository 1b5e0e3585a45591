/**
 * Lineage walks over `lineage_edges` (input version → output version, with a role). Each
 * direction is ONE `WITH RECURSIVE` statement, bounded by depth and cycle-safe: `UNION` (not
 * `UNION ALL`) drops repeated (id, depth) rows, so a walk visits at most |V| × (depth + 1) rows
 * whatever the shape of the graph (publish makes it a DAG; the bound holds even if it were not).
 * The reached ids then travel as one JSON parameter (`json_each`) to one batch that reads the
 * nodes and the edges among them from the same snapshot: two D1 round trips for any graph.
 *
 * Visibility: a token limited to namespaces walks the whole graph (lineage is one graph), but
 * nodes in other namespaces are hidden, omitted with every edge that touches them and counted in
 * `hidden`. Visible nodes beyond a hidden one stay listed: "this model depends on your dataset
 * through something you cannot see" is information about your own namespace.
 */

import { sql } from 'drizzle-orm';
import type { Impact, ImpactedVersion, LineageEdge, LineageGraph, LineageNode } from '../contract/lineage';
import { runBatch } from '../db/client';
import type { Deps } from '../deps';
import { canAccessNamespace, type Principal } from './auth';

export const DIRECTIONS = ['up', 'down', 'both'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const DEFAULT_DEPTH = 10;
export const MAX_DEPTH = 50;
/** Reached versions kept (closest first); beyond it the answer says `truncated`. */
export const MAX_NODES = 5_000;
/** Edges among the kept versions; a version has at most 100 inputs, so this rarely binds. */
export const MAX_EDGES = 20_000;

export type { LineageGraph, LineageNode } from '../contract/lineage';

type Row = Record<string, unknown>;

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The ids reachable from `rootId` within `depth` edges, each once with its minimal depth,
 * closest first, at most `limit` rows. `up` follows edges from output to input.
 */
function walkStatement(rootId: number, direction: 'up' | 'down', depth: number, limit: number) {
  const step =
    direction === 'up'
      ? sql`SELECT e.input_id, w.depth + 1 FROM walk w JOIN lineage_edges e ON e.output_id = w.id`
      : sql`SELECT e.output_id, w.depth + 1 FROM walk w JOIN lineage_edges e ON e.input_id = w.id`;
  return sql`
    WITH RECURSIVE walk(id, depth) AS (
      SELECT ${rootId}, 0
      UNION
      ${step} WHERE w.depth < ${depth}
    )
    SELECT id, MIN(depth) AS depth FROM walk GROUP BY id ORDER BY depth, id LIMIT ${limit}`;
}

function parseTags(raw: unknown): string[] {
  return (JSON.parse(String(raw ?? '[]')) as (string | null)[])
    .filter((t): t is string => typeof t === 'string')
    .sort();
}

export async function lineage(
  deps: Deps,
  root: { id: number; digest: string },
  opts: { direction: Direction; depth: number; maxNodes?: number },
  principal: Principal | null,
): Promise<LineageGraph> {
  const { db } = deps;
  const maxNodes = opts.maxNodes ?? MAX_NODES;
  const directions: ('up' | 'down')[] = opts.direction === 'both' ? ['up', 'down'] : [opts.direction];
  const walks = await runBatch(
    db,
    directions.map((d) => walkStatement(root.id, d, opts.depth, maxNodes + 1)),
  );

  const depthOf = new Map<number, number>();
  let truncated = false;
  for (const rows of walks) {
    if (rows.length > maxNodes) truncated = true;
    for (const r of rows) {
      const id = Number(r.id);
      const d = Number(r.depth);
      const seen = depthOf.get(id);
      if (seen === undefined || d < seen) depthOf.set(id, d);
    }
  }
  let ids = [...depthOf.keys()];
  if (ids.length > maxNodes) {
    truncated = true;
    ids = ids.sort((a, b) => depthOf.get(a)! - depthOf.get(b)! || a - b).slice(0, maxNodes);
  }

  const idList = JSON.stringify(ids);
  const [nodeRows = [], edgeRows = []] = await runBatch(db, [
    sql`
      SELECT v.id, v.digest, v.number, a.name AS artifact, a.namespace, a.kind,
             (SELECT json_group_array(t.name) FROM tags t WHERE t.version_id = v.id) AS tags
      FROM versions v JOIN artifacts a ON a.id = v.artifact_id
      WHERE v.id IN (SELECT value FROM json_each(${idList}))`,
    sql`
      WITH ids(id) AS (SELECT value FROM json_each(${idList}))
      SELECT e.input_id, e.output_id, e.role FROM lineage_edges e
      WHERE e.output_id IN (SELECT id FROM ids) AND e.input_id IN (SELECT id FROM ids)
      ORDER BY e.output_id, e.input_id, e.role
      LIMIT ${MAX_EDGES + 1}`,
  ]);

  const visible = new Map<number, LineageNode>();
  let hidden = 0;
  for (const r of nodeRows as Row[]) {
    if (!canAccessNamespace(principal, String(r.namespace))) {
      hidden += 1;
      continue;
    }
    const id = Number(r.id);
    visible.set(id, {
      digest: String(r.digest),
      artifact: String(r.artifact),
      version: Number(r.number),
      kind: String(r.kind),
      tags: parseTags(r.tags),
      depth: depthOf.get(id) ?? 0,
    });
  }
  if (edgeRows.length > MAX_EDGES) truncated = true;
  const edges: LineageEdge[] = [];
  for (const r of edgeRows.slice(0, MAX_EDGES)) {
    const from = visible.get(Number(r.input_id));
    const to = visible.get(Number(r.output_id));
    if (from && to) edges.push({ from: from.digest, to: to.digest, role: String(r.role) });
  }

  const nodes = [...visible.values()].sort(
    (a, b) => a.depth - b.depth || compareText(a.artifact, b.artifact) || a.version - b.version,
  );
  return { root: root.digest, direction: opts.direction, depth: opts.depth, nodes, edges, truncated, hidden };
}

/**
 * Versions downstream of the root (1 to MAX_DEPTH edges away) that a protected tag points to
 * now, each with one shortest path, in ONE statement: the bounded walk, each reached version's
 * minimal depth, a parent pointer per version (its smallest-id input one level closer to the
 * root), then a second recursive CTE that follows the pointers back from each target. Pointers
 * strictly decrease depth, so that chain terminates; carrying whole paths through the walk
 * instead would enumerate every path, which grows exponentially in a DAG.
 */
export async function impact(
  deps: Deps,
  root: { id: number; digest: string },
  protectedTags: readonly string[],
  principal: Principal | null,
): Promise<Impact> {
  const { db } = deps;
  const tagList = JSON.stringify(protectedTags);
  const [rows = []] = await runBatch(db, [
    sql`
      WITH RECURSIVE
      walk(id, depth) AS (
        SELECT ${root.id}, 0
        UNION
        SELECT e.output_id, w.depth + 1 FROM walk w JOIN lineage_edges e ON e.input_id = w.id
        WHERE w.depth < ${MAX_DEPTH}
      ),
      reached(id, depth) AS MATERIALIZED (SELECT id, MIN(depth) FROM walk GROUP BY id),
      targets(id, depth) AS (
        SELECT r.id, r.depth FROM reached r
        WHERE r.depth > 0 AND EXISTS (
          SELECT 1 FROM tags t
          WHERE t.version_id = r.id AND t.name IN (SELECT value FROM json_each(${tagList})))
      ),
      parent(id, parent_id) AS (
        SELECT r.id, MIN(e.input_id) FROM reached r
        JOIN lineage_edges e ON e.output_id = r.id
        JOIN reached p ON p.id = e.input_id AND p.depth = r.depth - 1
        WHERE r.depth > 0
        GROUP BY r.id
      ),
      chain(target, id, step) AS (
        SELECT id, id, depth FROM targets
        UNION ALL
        SELECT c.target, p.parent_id, c.step - 1 FROM chain c JOIN parent p ON p.id = c.id
      )
      SELECT c.target, c.step, v.digest, v.number, a.name AS artifact, a.namespace,
             CASE WHEN c.id = c.target THEN
               (SELECT json_group_array(t.name) FROM tags t
                WHERE t.version_id = c.id AND t.name IN (SELECT value FROM json_each(${tagList})))
             END AS tags
      FROM chain c JOIN versions v ON v.id = c.id JOIN artifacts a ON a.id = v.artifact_id
      ORDER BY c.target, c.step`,
  ]);

  const byTarget = new Map<number, Row[]>();
  for (const r of rows) {
    const target = Number(r.target);
    const list = byTarget.get(target) ?? [];
    list.push(r);
    byTarget.set(target, list);
  }
  const versions: ImpactedVersion[] = [];
  let hidden = 0;
  for (const chain of byTarget.values()) {
    // Ordered by step: the root first (step 0), the target last.
    const self = chain[chain.length - 1]!;
    if (!canAccessNamespace(principal, String(self.namespace))) {
      hidden += 1;
      continue;
    }
    versions.push({
      artifact: String(self.artifact),
      version: Number(self.number),
      digest: String(self.digest),
      tags: parseTags(self.tags),
      path: chain.map((r) => (canAccessNamespace(principal, String(r.namespace)) ? String(r.digest) : null)),
    });
  }
  versions.sort(
    (a, b) => a.path.length - b.path.length || compareText(a.artifact, b.artifact) || a.version - b.version,
  );
  return { root: root.digest, protectedTags: [...protectedTags], versions, hidden };
}
