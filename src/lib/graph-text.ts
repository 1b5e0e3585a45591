/**
 * Lineage graphs as text people can look at: Mermaid (`graph LR`, pastes into Markdown) and
 * Graphviz DOT. Node ids are positional (`n0`, `n1`, …), so no name ever reaches an identifier;
 * every name, tag and role appears only inside a quoted string, escaped for that syntax. Names
 * and tags are validated at publish, but the renderers do not rely on it: any string renders.
 */

export interface GraphTextNode {
  digest: string;
  artifact: string;
  version: number;
  kind: string;
  tags: readonly string[];
}

export interface GraphText {
  root: string;
  nodes: readonly GraphTextNode[];
  edges: readonly { from: string; to: string; role: string }[];
  truncated: boolean;
  hidden: number;
}

/** Characters that stand for themselves inside a quoted Mermaid label. */
const MERMAID_SAFE = /^[A-Za-z0-9 ._/@:,()+=-]$/u;

/** Mermaid text: every other character becomes a decimal entity code (`"` → `#34;`). */
export function mermaidText(text: string): string {
  let out = '';
  for (const ch of text) out += MERMAID_SAFE.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  return out;
}

/** A DOT quoted string: `\` and `"` escaped; control characters (line breaks too) become spaces. */
export function dotString(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/[\\"]/g, '\\$&');
  return `"${clean}"`;
}

function nodeTitle(node: GraphTextNode): string {
  return `${node.artifact}@${node.version}`;
}

function notes(graph: GraphText): string[] {
  const out: string[] = [];
  if (graph.truncated) out.push('truncated: more versions are reachable than shown');
  if (graph.hidden > 0) out.push(`${graph.hidden} version(s) in other namespaces hidden`);
  return out;
}

function ids(graph: GraphText): Map<string, string> {
  return new Map(graph.nodes.map((n, i) => [n.digest, `n${i}`]));
}

const MERMAID_SHAPES: Record<string, [string, string]> = {
  dataset: ['[("', '")]'],
  model: ['("', '")'],
};

export function toMermaid(graph: GraphText): string {
  const id = ids(graph);
  const lines = ['graph LR', ...notes(graph).map((n) => `  %% ${mermaidText(n)}`)];
  for (const node of graph.nodes) {
    const [open, close] = MERMAID_SHAPES[node.kind] ?? ['["', '"]'];
    const tags = node.tags.length > 0 ? ` (${node.tags.join(', ')})` : '';
    lines.push(`  ${id.get(node.digest)}${open}${mermaidText(nodeTitle(node) + tags)}${close}`);
  }
  for (const edge of graph.edges) {
    const from = id.get(edge.from);
    const to = id.get(edge.to);
    if (from && to) lines.push(`  ${from} -->|"${mermaidText(edge.role)}"| ${to}`);
  }
  const root = id.get(graph.root);
  if (root) lines.push('  classDef root stroke-width:3px', `  class ${root} root`);
  return `${lines.join('\n')}\n`;
}

const DOT_SHAPES: Record<string, string> = {
  dataset: 'shape=cylinder',
  model: 'shape=box, style=rounded',
};

export function toDot(graph: GraphText): string {
  const id = ids(graph);
  const lines = [
    'digraph lineage {',
    ...notes(graph).map((n) => `  // ${n}`),
    '  rankdir=LR;',
    '  node [shape=box];',
  ];
  for (const node of graph.nodes) {
    const label = [nodeTitle(node), ...(node.tags.length > 0 ? [node.tags.join(', ')] : [])]
      .map((part) => dotString(part).slice(1, -1))
      .join('\\n');
    const attrs = [`label="${label}"`, DOT_SHAPES[node.kind] ?? 'shape=box'];
    if (node.digest === graph.root) attrs.push('penwidth=2');
    lines.push(`  ${id.get(node.digest)} [${attrs.join(', ')}];`);
  }
  for (const edge of graph.edges) {
    const from = id.get(edge.from);
    const to = id.get(edge.to);
    if (from && to) lines.push(`  ${from} -> ${to} [label=${dotString(edge.role)}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
