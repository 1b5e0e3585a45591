/**
 * Comparing two environments. `diffPackages` works on parsed lockfiles: one entry per package
 * that was added, removed or changed version, sorted by name in UTF-16 code-unit order (the
 * order the manifest uses; locale-independent, so the same on every Worker). `diffLines` is the
 * fallback for files no parser understands: a multiset comparison of lines (order-insensitive,
 * so a reordered file shows no change, while a duplicated line does), ignoring line-ending
 * style, trailing whitespace and blank lines. Both are linear apart from the final sort.
 */
import type { PackageChange } from './types';

export function diffPackages(from: Map<string, string>, to: Map<string, string>): PackageChange[] {
  const changes: PackageChange[] = [];
  for (const [name, version] of from) {
    const next = to.get(name);
    if (next === undefined) changes.push({ name, change: 'removed', from: version, to: null });
    else if (next !== version) changes.push({ name, change: 'changed', from: version, to: next });
  }
  for (const [name, version] of to) {
    if (!from.has(name)) changes.push({ name, change: 'added', from: null, to: version });
  }
  return changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const DEFAULT_MAX_LINES = 200;

function lineCounts(text: string): { lines: string[]; counts: Map<string, number> } {
  const lines: string[] = [];
  const counts = new Map<string, number>();
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trimEnd();
    if (line === '') continue;
    lines.push(line);
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return { lines, counts };
}

/**
 * Lines of `lines` beyond their count in `other`, in order of appearance (copies of a line are
 * identical, so which of them is reported does not matter), at most `max` of them, and how many
 * there are in all. Stops reading once `max` are found: the total is known from the counts.
 */
function surplus(lines: string[], counts: Map<string, number>, other: Map<string, number>, max: number) {
  const left = new Map<string, number>();
  let total = 0;
  for (const [line, count] of counts) {
    const extra = count - (other.get(line) ?? 0);
    if (extra > 0) {
      left.set(line, extra);
      total += extra;
    }
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < Math.min(max, total); i++) {
    const line = lines[i]!;
    const extra = left.get(line);
    if (extra === undefined || extra === 0) continue;
    left.set(line, extra - 1);
    out.push(line);
  }
  return { out, total };
}

export function diffLines(
  from: string,
  to: string,
  max: number = DEFAULT_MAX_LINES,
): { added: string[]; removed: string[]; truncated: boolean } {
  const cap = Number.isNaN(max) ? DEFAULT_MAX_LINES : Math.max(0, Math.floor(max));
  const a = lineCounts(from);
  const b = lineCounts(to);
  const added = surplus(b.lines, b.counts, a.counts, cap);
  const removed = surplus(a.lines, a.counts, b.counts, cap);
  return {
    added: added.out,
    removed: removed.out,
    truncated: added.total > added.out.length || removed.total > removed.out.length,
  };
}
