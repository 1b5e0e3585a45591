/** Versions: lists, one version, metrics and resolve (docs/API.md "Artifacts, versions and manifests"). */
import type { Manifest } from './manifest';

export interface VersionSummary {
  version: number;
  digest: string;
  createdAt: string;
  createdBy: string;
  fileCount: number;
  size: number;
  tags: string[];
  labels: Record<string, string>;
}

/** One metrics annotation; a version keeps them all (its `metrics` are their merge). */
export interface MetricsEntry {
  at: string;
  by: string;
  metrics: Record<string, number>;
}

export interface VersionDetail extends VersionSummary {
  artifact: string;
  kind: string;
  manifest: Manifest;
  /** Every annotation merged, later ones winning key by key. */
  metrics: Record<string, number>;
  metricsHistory: MetricsEntry[];
  manifestUrl: string;
  /** Where OCI clients pull it: `host/ns/name:<number>`. */
  ociReference: string;
}

export interface MetricsAdded {
  version: number;
  digest: string;
  metrics: Record<string, number>;
  metricsHistory: MetricsEntry[];
}

/** What a ref resolves to. */
export interface Resolved {
  ref: string;
  artifact: string;
  version: number;
  digest: string;
  manifestUrl: string;
}
