/**
 * The version manifest (docs/API.md "Artifacts, versions and manifests"): what makes a version reproducible.
 * The server writes it as canonical JSON; absent sections are omitted, never null.
 */

export type Kind = 'dataset' | 'model' | 'other';

export interface ManifestFile {
  path: string;
  digest: string;
  size: number;
  /** A tabular file's declared key columns (contract/tables.ts). */
  table?: TableSpec;
}

/** Declared on a tabular file entry: the columns that identify a row. */
export interface TableSpec {
  key: string[];
}

export interface ManifestInput {
  role: string;
  ref: string;
  digest: string;
}

/** Where the code that produced a version came from. */
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
