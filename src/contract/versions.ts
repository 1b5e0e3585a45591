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

/** How a version's file is stored (chunk-level dedup, docs/API.md "Chunked uploads"). */
export interface VersionFileStorage {
  path: string;
  digest: string;
  /** Logical size: the file's bytes. */
  size: number;
  /** Bytes this file added to the store: its size when stored whole; its new chunks' bytes when chunked. */
  storedSize: number;
  chunked: boolean;
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
  /** The version's files (role `file`) with their stored sizes, by path. */
  files: VersionFileStorage[];
  /** Σ of the files' `storedSize`: what this version added to the store, against `size`. */
  storedSize: number;
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
