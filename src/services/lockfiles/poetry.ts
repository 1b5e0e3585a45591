/**
 * poetry.lock: TOML with `[[package]]` tables and a `[metadata]` table (lock-version, content
 * hash). Every poetry package has a `version`; a git dependency also has
 * `[package.source] type = "git"` whose `resolved_reference` is the commit actually installed.
 */
import { isRecord } from './common';
import { collectTomlPackages, parseToml } from './toml-packages';

function gitCommit(table: Record<string, unknown>): string | null {
  const src = table.source;
  if (!isRecord(src) || src.type !== 'git') return null;
  const commit = src.resolved_reference ?? src.reference;
  return typeof commit === 'string' && commit !== '' ? commit : null;
}

export function parsePoetryLock(text: string): Map<string, string> | null {
  const doc = parseToml(text);
  // A poetry.lock always has `[metadata]` (and `[[package]]` unless it locks nothing).
  if (!doc || !(isRecord(doc.metadata) || Array.isArray(doc.package))) return null;
  return collectTomlPackages(doc, gitCommit, () => null);
}
