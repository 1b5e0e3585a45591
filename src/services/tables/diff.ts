/**
 * The table part of a diff: for a modified tabular file, what its two profiles say changed:
 * row counts and the set difference (compare.ts), the schema, per-column nulls, statistics and
 * drift (drift.ts), and a few sample rows. A profile not computed yet is asked for (and the
 * answer is `pending`); one that failed makes the answer `failed`, with its reason.
 * Sample rows are read back from the files when both are at most SAMPLE_FILE_BYTES (the index
 * holds hashes, not values); larger files get counts without samples.
 */
import type { Digest } from '../../contract/grammar';
import type { ManifestFile } from '../../contract/manifest';
import type {
  ColumnDiff,
  ColumnProfile,
  ColumnStats,
  SampleRow,
  TableDiff,
  TableProfile,
} from '../../contract/tables';
import type { Deps } from '../../deps';
import { compareRows, type RowComparison } from './compare';
import { columnDrift } from './drift';
import { requestProfiles } from './queue';
import { rowsAt, tableFormatOf } from './run';
import { keyText, readIndex, readState } from './store';

export const SAMPLE_FILE_BYTES = 8 * 1024 * 1024;
/** Tabular files a diff describes (the rest say nothing more than "modified"). */
export const MAX_TABLES_PER_DIFF = 20;

type Side = Pick<ManifestFile, 'digest' | 'size' | 'table'>;

const statsOf = ({ min, max, mean, std, distinct }: ColumnProfile): ColumnStats => ({
  min,
  max,
  mean,
  std,
  distinct,
});

function schemaDiff(a: TableProfile, b: TableProfile) {
  const byName = (p: TableProfile) => new Map(p.columns.map((c) => [c.name, c]));
  const ca = byName(a);
  const cb = byName(b);
  return {
    added: b.columns.filter((c) => !ca.has(c.name)).map((c) => ({ name: c.name, type: c.type })),
    removed: a.columns.filter((c) => !cb.has(c.name)).map((c) => ({ name: c.name, type: c.type })),
    typeChanged: a.columns
      .filter((c) => cb.has(c.name) && cb.get(c.name)!.type !== c.type)
      .map((c) => ({ name: c.name, from: c.type, to: cb.get(c.name)!.type })),
  };
}

async function samplesOf(
  deps: Deps,
  path: string,
  from: Side,
  to: Side,
  key: string[] | null,
  common: string[],
  cmp: RowComparison,
): Promise<SampleRow[]> {
  const format = tableFormatOf(path)!;
  if (from.size > SAMPLE_FILE_BYTES || to.size > SAMPLE_FILE_BYTES) return [];
  const [a, b] = await Promise.all([
    rowsAt(
      deps,
      from.digest as Digest,
      format,
      new Set([...cmp.samples.removed, ...cmp.samples.changed.map((p) => p[0])]),
    ),
    rowsAt(
      deps,
      to.digest as Digest,
      format,
      new Set([...cmp.samples.added, ...cmp.samples.changed.map((p) => p[1])]),
    ),
  ]);
  const record = (columns: string[], row: (string | null)[] | undefined) =>
    Object.fromEntries(columns.map((c, i) => [c, row?.[i] ?? null]));
  const keyOf = (columns: string[], row: (string | null)[] | undefined) =>
    key ? Object.fromEntries(key.map((k) => [k, row?.[columns.indexOf(k)] ?? null])) : null;
  const out: SampleRow[] = [];
  for (const r of cmp.samples.added) {
    const row = b.rows.get(r);
    out.push({ kind: 'added', key: keyOf(b.columns, row), changes: [], values: record(b.columns, row) });
  }
  for (const r of cmp.samples.removed) {
    const row = a.rows.get(r);
    out.push({ kind: 'removed', key: keyOf(a.columns, row), changes: [], values: record(a.columns, row) });
  }
  for (const [ra, rb] of cmp.samples.changed) {
    const x = record(a.columns, a.rows.get(ra));
    const y = record(b.columns, b.rows.get(rb));
    const changes = common
      .filter((c) => x[c] !== y[c])
      .map((c) => ({ column: c, from: x[c] ?? null, to: y[c] ?? null }));
    out.push({ kind: 'changed', key: keyOf(b.columns, b.rows.get(rb)), changes, values: null });
  }
  return out;
}

/** The table diff of one modified file, or null when the path is not tabular. */
export async function diffTable(deps: Deps, path: string, from: Side, to: Side): Promise<TableDiff | null> {
  if (!tableFormatOf(path)) return null;
  const key = to.table?.key ?? from.table?.key ?? null;
  const k = keyText(key);
  const [sa, sb] = await Promise.all([readState(deps, from.digest, k), readState(deps, to.digest, k)]);
  if (sa?.state === 'failed') return { state: 'failed', side: 'from', reason: sa.reason };
  if (sb?.state === 'failed') return { state: 'failed', side: 'to', reason: sb.reason };
  if (!sa || !sb) {
    // A file profiled without this key (e.g. the key was declared later) is profiled with it.
    const table = key ? { table: { key } } : {};
    const missing = [
      !sa ? { path, digest: from.digest, ...table } : null,
      !sb ? { path, digest: to.digest, ...table } : null,
    ];
    if (deps.profiles)
      await requestProfiles(
        deps,
        deps.profiles,
        missing.filter((m) => m !== null),
      );
    return { state: 'pending' };
  }
  if (sa.state !== 'ready' || sb.state !== 'ready') return { state: 'pending' };
  const a = sa.profile;
  const b = sb.profile;
  const schema = schemaDiff(a, b);
  const common = a.columns.filter((c) => b.columns.some((d) => d.name === c.name)).map((c) => c.name);
  const colsA = common.map((n) => a.columns.findIndex((c) => c.name === n));
  const colsB = common.map((n) => b.columns.findIndex((c) => c.name === n));
  const [ia, ib] = await Promise.all([readIndex(deps, from.digest, k), readIndex(deps, to.digest, k)]);
  const cmp = ia && ib ? compareRows(ia, ib, colsA, colsB) : null;
  const columns: ColumnDiff[] = common.map((name, i) => {
    const x = a.columns[colsA[i]!]!;
    const y = b.columns[colsB[i]!]!;
    const d = columnDrift(x, a.rows, y, b.rows);
    return {
      name,
      changedRows: cmp?.changedRows[i] ?? null,
      nulls: { from: a.rows ? x.nulls / a.rows : 0, to: b.rows ? y.nulls / b.rows : 0 },
      stats: { from: statsOf(x), to: statsOf(y) },
      drift: d?.drift ?? null,
      histogram: d?.histogram ?? null,
    };
  });
  return {
    state: 'ready',
    key,
    rows: {
      from: a.rows,
      to: b.rows,
      added: cmp?.added ?? null,
      removed: cmp?.removed ?? null,
      changed: cmp?.changed ?? null,
    },
    schema,
    columns,
    samples: cmp ? await samplesOf(deps, path, from, to, key, common, cmp) : [],
  };
}
