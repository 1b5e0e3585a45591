/**
 * `cairn lineage <ref>`: what a version was built from (`--down`: what was built from it), as
 * an indented list, or the server's Mermaid / DOT text; `--impact`: the versions a protected
 * tag (production) points to that are built on it.
 */
import type { Direction, LineageGraph } from '../../src/client/index';
import { defineCommand } from '../command';
import { usageError } from '../exit-codes';
import { normalizeRef } from '../refs';

const FORMATS = ['text', 'json', 'mermaid', 'dot'] as const;

/** One line per node, indented by its depth, with the roles of the edges that reach it. */
function renderLineage(graph: LineageGraph): string {
  const roles = new Map<string, Set<string>>();
  for (const e of graph.edges) {
    const key = graph.direction === 'down' ? e.to : e.from;
    roles.set(key, (roles.get(key) ?? new Set()).add(e.role));
  }
  const nodes = [...graph.nodes].sort(
    (a, b) => a.depth - b.depth || a.artifact.localeCompare(b.artifact) || a.version - b.version,
  );
  const lines = nodes.map((n) => {
    const role = n.depth > 0 && roles.has(n.digest) ? ` (${[...roles.get(n.digest)!].join(', ')})` : '';
    const tags = n.tags.length ? `  [${n.tags.join(', ')}]` : '';
    return `${'  '.repeat(n.depth)}${n.artifact}@${n.version}  ${n.kind}${role}${tags}  ${n.digest.slice(0, 19)}`;
  });
  if (graph.truncated) lines.push('… truncated (the closest versions are shown)');
  if (graph.hidden) lines.push(`${graph.hidden} version(s) hidden: outside your token's namespaces`);
  return lines.join('\n');
}

export const lineage = defineCommand({
  name: 'lineage',
  summary: 'what a version was built from (or, with --down, what was built from it)',
  help: `cairn lineage <ref> [--down | --both] [--depth <n>] [--format text|json|mermaid|dot]
cairn lineage <ref> --impact      versions a protected tag points to that are built on <ref>`,
  options: {
    down: { type: 'boolean' },
    both: { type: 'boolean' },
    depth: { type: 'string' },
    format: { type: 'string' },
    impact: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(ctx, values, [raw = '']) {
    const ref = normalizeRef(raw);
    const client = await ctx.client();
    if (values.impact) {
      const impact = await client.impact(ref);
      const lines = impact.versions.map(
        (v) => `${v.artifact}@${v.version}  [${v.tags.join(', ')}]  ${v.digest.slice(0, 19)}`,
      );
      ctx.out.result(
        lines.join('\n') || `nothing under ${impact.protectedTags.join(', ')} is built on ${ref}`,
        impact,
      );
      return;
    }
    const direction: Direction = values.both ? 'both' : values.down ? 'down' : 'up';
    const depth = values.depth === undefined ? undefined : Number(values.depth);
    if (depth !== undefined && (!Number.isInteger(depth) || depth < 0 || depth > 50))
      throw usageError('--depth is 0 to 50');
    const format = values.format ?? (ctx.out.json ? 'json' : 'text');
    if (!(FORMATS as readonly string[]).includes(format))
      throw usageError(`--format is one of ${FORMATS.join(', ')}`);
    if (format === 'mermaid' || format === 'dot') {
      process.stdout.write(await client.lineageText(ref, format, { direction, depth }));
      return;
    }
    const graph = await client.lineage(ref, { direction, depth });
    if (format === 'json') process.stdout.write(`${JSON.stringify(graph, null, 2)}\n`);
    else ctx.out.result(() => renderLineage(graph), graph);
  },
});
