/**
 * The answers of the diff and explain routes (docs/API.md "Lineage, impact and diff"): two versions compared
 * pillar by pillar (code, data, environment, params), plus output files and metric deltas.
 */
import type { Code, ManifestFile, TableSpec } from './manifest';
import type { TableDiff } from './tables';

export type Pillar = 'code' | 'data' | 'environment' | 'params';

// Params and runtime versions: nested keys flattened to dotted paths, reported sorted.

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

export interface MetricDelta {
  key: string;
  from: number | null;
  to: number | null;
  /** `to - from` when both sides have the metric. */
  delta: number | null;
}

// Files

export interface FileChange {
  path: string;
  from: { digest: string; size: number; table?: TableSpec };
  to: { digest: string; size: number; table?: TableSpec };
  /** A tabular file (CSV, TSV, JSON Lines): how its rows, schema and columns changed. */
  table?: TableDiff;
}

export interface FilesDiff {
  changed: boolean;
  added: ManifestFile[];
  removed: ManifestFile[];
  modified: FileChange[];
  counts: { added: number; removed: number; modified: number; unchanged: number };
  /** True when a list was cut at the server's limit (counts stay exact). */
  truncated: boolean;
}

// Data: inputs matched by role (then by artifact within a role)

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
  /** A changed input: which of its files changed. */
  files?: FilesDiff;
  /** A changed input with inputs of its own: the same one level further up. */
  upstream?: DataDiff;
}

export interface DataDiff {
  changed: boolean;
  inputs: InputDiff[];
  /** The largest table changes in the inputs' files, in a line (top level, when any is known). */
  summary?: string;
}

// Environment

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
  /** The parsed format, or null when compared line by line (or not at all, if too large). */
  format: string | null;
  packages?: PackageChange[];
  lines?: { added: string[]; removed: string[]; truncated: boolean };
}

export interface EnvironmentDiff {
  changed: boolean;
  lockfiles: LockfileDiff[];
  image: { changed: boolean; from: string | null; to: string | null };
  runtime: ValuesDiff;
}

// The whole diff

export interface CodeDiff {
  changed: boolean;
  /** The fields that differ (`commit`, `dirty`, …). */
  fields: string[];
  from: Code | null;
  to: Code | null;
}

export interface VersionRefView {
  artifact: string;
  version: number;
  digest: string;
}

export interface VersionDiff {
  /** Null when compared with nothing (a tag's first move). */
  from: VersionRefView | null;
  to: VersionRefView;
  /** The pillars that changed, in pillar order. */
  changed: Pillar[];
  code: CodeDiff;
  data: DataDiff;
  environment: EnvironmentDiff;
  params: ValuesDiff;
  files: FilesDiff;
  metrics: MetricDelta[];
}

/** A tag's last move: who moved it, when and why. */
export interface LastMove {
  from: string | null;
  to: string;
  /** ISO-8601. */
  at: string;
  by: string;
  reason: string | null;
  /** Digests of the attestations a policy-gated move relied on (absent when no policy applied). */
  attestations?: string[];
}

/** Explain a tag: the diff between where it pointed before its last move and where it points now. */
export interface Explanation extends VersionDiff {
  move: LastMove;
}
