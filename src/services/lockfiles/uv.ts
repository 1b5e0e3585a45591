/**
 * uv.lock: TOML with a top-level `version` (the lock schema) and `[[package]]` tables. The
 * project itself and workspace members are packages too (`source = { editable = "." }` or
 * `{ virtual = "." }`), kept so a bump of the project's own version is visible; a package
 * without `version` (dynamic metadata) is described by its source instead. A git source string
 * ends in `#<commit>`, which is what identifies the installed code.
 */
import { isRecord } from './common';
import { collectTomlPackages, parseToml } from './toml-packages';

function source(table: Record<string, unknown>): Record<string, unknown> | null {
  return isRecord(table.source) ? table.source : null;
}

function gitCommit(table: Record<string, unknown>): string | null {
  const git = source(table)?.git;
  if (typeof git !== 'string') return null;
  const hash = git.lastIndexOf('#');
  return hash >= 0 && hash < git.length - 1 ? git.slice(hash + 1) : null;
}

function sourceDescription(table: Record<string, unknown>): string | null {
  const src = source(table);
  if (!src) return null;
  for (const key of ['editable', 'virtual', 'directory', 'path', 'url', 'git', 'registry']) {
    const value = src[key];
    if (typeof value === 'string') return `${key}:${value}`;
  }
  return null;
}

export function parseUvLock(text: string): Map<string, string> | null {
  const doc = parseToml(text);
  // Every uv.lock has a numeric schema `version`; other TOML files (or a pyproject.toml) do not.
  if (!doc || typeof doc.version !== 'number') return null;
  return collectTomlPackages(doc, gitCommit, sourceDescription);
}
