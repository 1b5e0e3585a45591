/**
 * Table diffs inside a version diff: every modified tabular file of a file list gets its `table`
 * (services/tables/diff.ts, at most MAX_TABLES_PER_DIFF a list), and the data pillar gets a
 * one-line summary of the largest effects ("+250/−100 rows, 340 changed; new column region;
 * age nulls 0% → 14% (major)").
 */
import type { DataDiff, FileChange, FilesDiff } from '../../contract/diff';
import { tableEffects, tableFormatOf } from '../../contract/tables';
import type { Deps } from '../../deps';
import { diffTable, MAX_TABLES_PER_DIFF } from '../tables/diff';

export async function describeTables(deps: Deps, files: FilesDiff): Promise<void> {
  const tabular = files.modified.filter((m) => tableFormatOf(m.path)).slice(0, MAX_TABLES_PER_DIFF);
  await Promise.all(
    tabular.map(async (m) => {
      const table = await diffTable(deps, m.path, m.from, m.to);
      if (table) m.table = table;
    }),
  );
}

function tableLine(f: FileChange): string | null {
  const t = f.table;
  if (!t) return null;
  if (t.state === 'pending') return `${f.path}: profile pending`;
  if (t.state === 'failed') return `${f.path}: not profiled (${t.reason})`;
  const effects = tableEffects(t);
  return effects.length ? `${f.path}: ${effects.join('; ')}` : null;
}

/** One line for the data pillar, from the inputs' (and their inputs') table diffs. */
export function dataSummary(data: DataDiff): string | null {
  const lines: string[] = [];
  const walk = (d: DataDiff) => {
    for (const input of d.inputs) {
      for (const f of input.files?.modified ?? []) {
        const line = tableLine(f);
        if (line) lines.push(line);
      }
      if (input.upstream) walk(input.upstream);
    }
  };
  walk(data);
  return lines.length ? lines.slice(0, 5).join(' · ') : null;
}
