/**
 * The lineage graph as server-rendered SVG: dagre lays the versions out top to bottom (inputs
 * above, what was built from them below; long chains grow down the page, which scrolls anyway,
 * rather than sideways off a phone); every node links to its version page, the version being
 * viewed is emphasised, versions a protected tag points to are outlined and name the tag, and
 * each edge carries its role. Text is measured by character count, which
 * holds because node labels use a monospace font (styles.ts). No script, no inline style.
 */
import { graphlib, layout } from '@dagrejs/dagre';
import type { LineageGraph, LineageNode } from '../services/lineage';
import { versionUrl } from './urls';

const CHAR_WIDTH = 7.3;
const LABEL_CHAR_WIDTH = 6.7;
const NODE_HEIGHT = 44;
const PAD_X = 12;

interface Placed {
  node: LineageNode;
  x: number;
  y: number;
  width: number;
  lines: [string, string];
  protectedTags: string[];
}

function labelLines(node: LineageNode): [string, string] {
  const tags = node.tags.length ? ` · ${node.tags.join(', ')}` : '';
  return [node.artifact, `v${node.version} ${node.kind}${tags}`];
}

export interface LaidOut {
  width: number;
  height: number;
  nodes: Placed[];
  edges: { path: string; role: string; labelX: number; labelY: number }[];
}

/** Positions every node and edge (pure: the SVG below only draws what this returns). */
export function layoutLineage(graph: LineageGraph, protectedTags: readonly string[]): LaidOut {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 28, edgesep: 12, marginx: 10, marginy: 10 });
  const byDigest = new Map(graph.nodes.map((n) => [n.digest, n]));
  for (const node of graph.nodes) {
    const lines = labelLines(node);
    const width = Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR_WIDTH + 2 * PAD_X);
    g.setNode(node.digest, { width, height: NODE_HEIGHT, lines });
  }
  for (const edge of graph.edges) {
    if (!byDigest.has(edge.from) || !byDigest.has(edge.to)) continue;
    g.setEdge(
      edge.from,
      edge.to,
      { role: edge.role, width: edge.role.length * LABEL_CHAR_WIDTH + 6, height: 14, labelpos: 'c' },
      edge.role,
    );
  }
  layout(g);
  const nodes: Placed[] = graph.nodes.map((node) => {
    const placed = g.node(node.digest);
    return {
      node,
      x: placed.x,
      y: placed.y,
      width: placed.width,
      lines: placed.lines,
      protectedTags: node.tags.filter((t) => protectedTags.includes(t)),
    };
  });
  const edges = g.edges().map((e) => {
    const label = g.edge(e);
    const points: { x: number; y: number }[] = label.points ?? [];
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    return { path, role: String(label.role), labelX: label.x ?? 0, labelY: label.y ?? 0 };
  });
  const size = g.graph();
  return { width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0), nodes, edges };
}

export function LineageSvg(props: {
  graph: LineageGraph;
  current: string;
  protectedTags: readonly string[];
}) {
  const laid = layoutLineage(props.graph, props.protectedTags);
  const root = props.graph.nodes.find((n) => n.digest === props.current);
  return (
    <svg
      class="lineage"
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${laid.width} ${laid.height}`}
      width={laid.width}
      height={laid.height}
      role="img"
      aria-label={root ? `Lineage of ${root.artifact} v${root.version}` : 'Lineage'}
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="10"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
        </marker>
      </defs>
      {laid.edges.map((e) => (
        <g class="edge-group">
          <path class="edge" d={e.path} marker-end="url(#arrow)" />
          <text class="edge-label" x={e.labelX.toFixed(1)} y={(e.labelY + 4).toFixed(1)} text-anchor="middle">
            {e.role}
          </text>
        </g>
      ))}
      {laid.nodes.map((p) => {
        const classes = ['node', p.node.kind];
        if (p.node.digest === props.current) classes.push('current');
        if (p.protectedTags.length) classes.push('protected');
        const left = p.x - p.width / 2;
        const top = p.y - NODE_HEIGHT / 2;
        return (
          <a
            href={versionUrl(p.node.artifact, p.node.version)}
            data-digest={p.node.digest}
            aria-label={`${p.node.artifact} v${p.node.version}`}
          >
            <g class={classes.join(' ')}>
              <title>{`${p.node.artifact} v${p.node.version} (${p.node.digest})`}</title>
              <rect x={left.toFixed(1)} y={top.toFixed(1)} width={p.width} height={NODE_HEIGHT} rx="6" />
              <text x={(left + PAD_X).toFixed(1)} y={(top + 18).toFixed(1)}>
                {p.lines[0]}
              </text>
              <text
                x={(left + PAD_X).toFixed(1)}
                y={(top + 35).toFixed(1)}
                class={p.protectedTags.length ? 'sub prot' : 'sub'}
              >
                {p.lines[1]}
              </text>
            </g>
          </a>
        );
      })}
    </svg>
  );
}
