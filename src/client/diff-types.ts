/**
 * The answers of the lineage, impact, diff and explain routes (API.md "Lineage and diff"), for
 * every client; re-exported by types.ts and checked against the server by contract.ts.
 */
import type { Code, ManifestFile } from './types';

export type Direction = 'up' | 'down' | 'both';

export interface LineageNode {
  digest: string;
  artifact: string;
  version: number;
  kind: string;
  tags: string[];
  depth: number;
}

export interface LineageEdge {
  from: string;
  to: string;
  role: string;
}

export interface LineageGraph {
  root: string;
  direction: Direction;
  depth: number;
  nodes: LineageNode[];
  edges: LineageEdge[];
  truncated: boolean;
  hidden: number;
}

export interface Impact {
  root: string;
  protectedTags: string[];
  versions: { artifact: string; version: number; digest: string; tags: string[]; path: (string | null)[] }[];
  hidden: number;
}

export type Pillar = 'code' | 'data' | 'environment' | 'params';

export interface ValueChange {
  key: string;
  from: unknown;
  to: unknown;
}

export interface ValuesDiff {
  changed: boolean;
  added: ValueChange[];
  removed: ValueChange[];
  modified: ValueChange[];
}

export interface FilesDiff {
  changed: boolean;
  added: ManifestFile[];
  removed: ManifestFile[];
  modified: { path: string; from: { digest: string; size: number }; to: { digest: string; size: number } }[];
  counts: { added: number; removed: number; modified: number; unchanged: number };
  truncated: boolean;
}

export interface InputSide {
  ref: string;
  digest: string;
  artifact: string | null;
  version: number | null;
}

export interface InputDiff {
  role: string;
  artifact: string | null;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  from: InputSide | null;
  to: InputSide | null;
  files?: FilesDiff;
  upstream?: DataDiff;
}

export interface DataDiff {
  changed: boolean;
  inputs: InputDiff[];
}

export interface PackageChange {
  name: string;
  change: 'added' | 'removed' | 'changed';
  from: string | null;
  to: string | null;
}

export interface LockfileDiff {
  path: string;
  status: 'added' | 'removed' | 'modified' | 'unchanged';
  from: string | null;
  to: string | null;
  format: string | null;
  packages?: PackageChange[];
  lines?: { added: string[]; removed: string[]; truncated: boolean };
}

export interface VersionRefView {
  artifact: string;
  version: number;
  digest: string;
}

export interface VersionDiff {
  from: VersionRefView | null;
  to: VersionRefView;
  changed: Pillar[];
  code: { changed: boolean; fields: string[]; from: Code | null; to: Code | null };
  data: DataDiff;
  environment: {
    changed: boolean;
    lockfiles: LockfileDiff[];
    image: { changed: boolean; from: string | null; to: string | null };
    runtime: ValuesDiff;
  };
  params: ValuesDiff;
  files: FilesDiff;
  metrics: { key: string; from: number | null; to: number | null; delta: number | null }[];
}

export interface Explanation extends VersionDiff {
  move: { from: string | null; to: string; at: string; by: string; reason: string | null };
}
