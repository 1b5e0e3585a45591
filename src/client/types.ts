/**
 * The shapes of the Cairn v1 API (../shared API.md), written once for every client. This module
 * imports nothing from the server so a Node CLI or another Worker can use it without pulling in
 * D1/R2 types; `contract.ts` proves at compile time that these match what the routes return and
 * what the zod schemas accept, so the two cannot drift apart silently.
 */

export type * from './diff-types';

export type Digest = `sha256:${string}`;
export type Kind = 'dataset' | 'model' | 'other';
export type Scope = 'read' | 'write' | 'promote' | 'admin';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

export interface Health {
  status: string;
  service: string;
  apiVersion: string;
}

// Blobs and uploads

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface UploadSession {
  uploadId: string;
  digest: string;
  size: number;
  partSize: number;
  partCount: number;
  /** Part numbers already received (1-based): a resumed session sends only the others. */
  parts: number[];
  expiresAt: string;
}

export type StartUploadResult =
  | ({ exists: false; resumed: boolean } & UploadSession)
  | { exists: true; digest: string; size: number };

export interface PartReceipt {
  part: number;
  size: number;
}

// Versions and manifests

export interface ManifestFile {
  path: string;
  digest: string;
  size: number;
}

export interface ManifestInput {
  role: string;
  ref: string;
  digest: string;
}

export interface Code {
  repo?: string;
  commit?: string;
  path?: string;
  dirty?: boolean;
}

export interface Environment {
  lockfiles?: { path: string; digest: string }[];
  image?: string;
  runtime?: Record<string, string>;
}

export interface Manifest {
  schema: 'cairn.manifest/v1';
  artifact: string;
  kind: Kind;
  files: ManifestFile[];
  inputs: ManifestInput[];
  code?: Code;
  environment?: Environment;
  params?: Record<string, unknown>;
}

/** The body of a publish (only `files` is required). */
export interface PublishRequest {
  kind?: Kind;
  files: ManifestFile[];
  inputs?: { ref: string; role?: string }[];
  code?: Code;
  environment?: Environment;
  params?: Record<string, unknown>;
  metrics?: Record<string, number>;
  labels?: Record<string, string>;
  tags?: string[];
}

export interface Published {
  artifact: string;
  version: number;
  digest: string;
  manifestUrl: string;
  /** False when the same manifest already existed (the server answered 200, no new number). */
  created: boolean;
}

export interface ArtifactSummary {
  name: string;
  kind: string;
  createdAt: string;
  latestVersion: number | null;
}

export interface ArtifactDetail {
  name: string;
  kind: string;
  createdAt: string;
  createdBy: string;
  tags: Record<string, string>;
  latestVersion: { version: number; digest: string; createdAt: string } | null;
  versionCount: number;
}

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

export interface MetricsEntry {
  at: string;
  by: string;
  metrics: Record<string, number>;
}

export interface VersionDetail extends VersionSummary {
  artifact: string;
  kind: string;
  manifest: Manifest;
  metrics: Record<string, number>;
  metricsHistory: MetricsEntry[];
  manifestUrl: string;
}

export interface MetricsAdded {
  version: number;
  digest: string;
  metrics: Record<string, number>;
  metricsHistory: MetricsEntry[];
}

export interface Resolved {
  ref: string;
  artifact: string;
  version: number;
  digest: string;
  manifestUrl: string;
}

// Tags

export interface TagMove {
  tag: string;
  digest: string;
  previous: string | null;
}

export interface TagEvent {
  from: string | null;
  to: string | null;
  at: string;
  by: string;
  reason: string | null;
}

// Tokens

export interface NewTokenRequest {
  name: string;
  scopes: Scope[];
  namespaces?: string[];
  /** ISO 8601 with an offset, in the future. */
  expiresAt?: string;
}

export interface TokenInfo {
  id: string;
  name: string;
  scopes: Scope[];
  namespaces: string[] | null;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
}

export interface CreatedToken extends TokenInfo {
  /** The secret: shown once. */
  token: string;
}

/** What an error body says (API.md "Errors"). */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId?: string };
}
