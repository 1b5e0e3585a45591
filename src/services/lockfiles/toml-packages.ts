/**
 * The `[[package]]` tables that uv.lock and poetry.lock share. Both are TOML, read with the
 * maintained `smol-toml` parser (pure JS, no Node APIs, so it runs in workerd) with a nesting cap.
 * Each table's `name` (PEP 503-normalised) and `version` are kept; a package pinned to a git
 * commit gets that commit appended, because moving a git dependency to another commit is an
 * environment change even when its declared version stays the same. A package listed several
 * times (uv and poetry both fork resolutions by marker) keeps all its versions.
 */
import { parse } from 'smol-toml';
import { isRecord, normalisePythonName, PackageCollector } from './common';

/** Parse TOML into a table; null on a syntax error or excessive nesting. */
export function parseToml(text: string): Record<string, unknown> | null {
  try {
    return parse(text, { maxDepth: 100 }) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * Collect `[[package]]` tables; `gitCommit` extracts the resolved commit of one table, if any.
 * Null when `package` is present but is not an array of tables each with a string `name`.
 */
export function collectTomlPackages(
  doc: Record<string, unknown>,
  gitCommit: (table: Record<string, unknown>) => string | null,
  fallbackVersion: (table: Record<string, unknown>) => string | null,
): Map<string, string> | null {
  const list = doc.package;
  const packages = new PackageCollector();
  if (list === undefined) return packages.finish();
  if (!Array.isArray(list)) return null;
  for (const table of list) {
    if (!isRecord(table) || typeof table.name !== 'string' || table.name === '') return null;
    const declared = typeof table.version === 'string' ? table.version : null;
    const commit = gitCommit(table);
    let version = declared ?? fallbackVersion(table) ?? '*';
    if (commit) version = `${version} (git ${commit})`;
    packages.add(normalisePythonName(table.name), version);
  }
  return packages.finish();
}
