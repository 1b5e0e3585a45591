/** The answers of the lineage and impact routes (docs/API.md "Lineage, impact and diff"). */

export type Direction = 'up' | 'down' | 'both';

export interface LineageNode {
  digest: string;
  artifact: string;
  version: number;
  kind: string;
  tags: string[];
  /** Fewest edges between the root and this version (in the walk's direction; `both`: either). */
  depth: number;
}

export interface LineageEdge {
  /** The input (upstream) version's digest. */
  from: string;
  /** The output (downstream) version's digest. */
  to: string;
  role: string;
}

export interface LineageGraph {
  root: string;
  direction: Direction;
  depth: number;
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** True when nodes or edges were cut at the server's limits. */
  truncated: boolean;
  /** Versions in namespaces the token cannot see, left out with their edges. */
  hidden: number;
}

export interface ImpactedVersion {
  artifact: string;
  version: number;
  digest: string;
  /** The protected tags pointing at this version now. */
  tags: string[];
  /** One shortest path, root first, this version last; a hidden version on it is `null`. */
  path: (string | null)[];
}

export interface Impact {
  root: string;
  protectedTags: string[];
  versions: ImpactedVersion[];
  hidden: number;
}
