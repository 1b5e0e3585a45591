/**
 * Shared shapes of the lockfile parsers. A parsed lockfile is a flat map from a normalised
 * package key to one version string: flat because the diff compares package by package, and a
 * string (not a parsed version) because lockfiles pin exact strings and the diff only needs
 * equality and something a human can read ("scikit-learn 1.3.0 → 1.4.0").
 */

export type LockfileFormat = 'requirements' | 'uv' | 'poetry' | 'pipfile' | 'conda' | 'npm';

export interface ParsedLockfile {
  format: LockfileFormat;
  /** Normalised name → version, or the spec string when the package is not pinned. */
  packages: Map<string, string>;
}

export interface PackageChange {
  name: string;
  change: 'added' | 'removed' | 'changed';
  from: string | null;
  to: string | null;
}

/** Lockfiles larger than this (UTF-8 bytes) are refused: parsing is bounded work in a Worker. */
export const MAX_LOCKFILE_BYTES = 20 * 1024 * 1024;
