/**
 * Table profiles and table diffs (docs/API.md "Table diffs"): what the server computes for a
 * tabular file (CSV/TSV with a header, JSON Lines, Parquet) and what a diff says about a modified one,
 * plus the two rules a client shares with the server: which paths are tables, and how a table
 * diff reads in one line.
 */

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

/**
 * Text formats: inferred from every non-empty value, the narrowest type all of them fit.
 * Parquet: mapped from the column's declared physical and logical type (services/tables/parquet.ts).
 */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'string' | 'empty';

export interface ColumnStats {
  /** Numbers for numeric columns, strings (code-unit order) for the others; null when all empty. */
  min: number | string | null;
  max: number | string | null;
  mean: number | null;
  std: number | null;
  /** HyperLogLog estimate. */
  distinct: number;
}

export interface ColumnProfile extends ColumnStats {
  name: string;
  type: ColumnType;
  nulls: number;
  /** Percentiles 0..100 of a 2,048-value reservoir sample (numeric columns; else empty). */
  quantiles: number[];
  /** The most frequent values (up to 20), with their counts. */
  top: { value: string; count: number }[];
}

export interface TableProfile {
  format: TableFormat;
  rows: number;
  columns: ColumnProfile[];
}

export interface TableRows {
  from: number;
  to: number;
  /** null when a table outgrew the row index (README "Table diffs", limits). */
  added: number | null;
  removed: number | null;
  /** Rows whose key is in both versions with other values; null without a declared key. */
  changed: number | null;
}

export interface SchemaDiff {
  added: { name: string; type: ColumnType }[];
  removed: { name: string; type: ColumnType }[];
  typeChanged: { name: string; from: ColumnType; to: ColumnType }[];
}

export type DriftLevel = 'none' | 'moderate' | 'major';

export interface Drift {
  metric: 'psi';
  value: number;
  level: DriftLevel;
}

export interface ColumnDiff {
  name: string;
  /** Keyed rows in both versions whose value here differs; null without a key. */
  changedRows: number | null;
  /** Fractions of rows that are empty. */
  nulls: { from: number; to: number };
  stats: { from: ColumnStats; to: ColumnStats };
  drift: Drift | null;
  /** Shares of rows per bin (bins: the older version's deciles, or its top values and "other"). */
  histogram: { labels: string[]; from: number[]; to: number[] } | null;
}

export interface SampleRow {
  kind: 'added' | 'removed' | 'changed';
  /** The key's values (keyed diffs). */
  key: Record<string, string | null> | null;
  /** Changed rows: the columns that differ, old → new. */
  changes: { column: string; from: string | null; to: string | null }[];
  /** Added and removed rows: the row. */
  values: Record<string, string | null> | null;
}

export type TableDiff =
  | {
      state: 'ready';
      key: string[] | null;
      rows: TableRows;
      schema: SchemaDiff;
      columns: ColumnDiff[];
      samples: SampleRow[];
    }
  | { state: 'pending' }
  /** `side`: which version's file could not be profiled. */
  | { state: 'failed'; side: 'from' | 'to'; reason: string };

const EXTENSIONS: [RegExp, TableFormat][] = [
  [/\.csv$/i, 'csv'],
  [/\.(tsv|tab)$/i, 'tsv'],
  [/\.(jsonl|ndjson)$/i, 'jsonl'],
  [/\.parquet$/i, 'parquet'],
];

/** The tabular format a path names, or null (profiles are computed only for these). */
export function tableFormatOf(path: string): TableFormat | null {
  return EXTENSIONS.find(([re]) => re.test(path))?.[1] ?? null;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The largest effects of one table diff, most important first. */
export function tableEffects(t: Extract<TableDiff, { state: 'ready' }>): string[] {
  const out: string[] = [];
  const { rows } = t;
  if (rows.added !== null && rows.removed !== null) {
    const changed = rows.changed ? `, ${rows.changed} changed` : '';
    if (rows.added || rows.removed || rows.changed)
      out.push(`+${rows.added}/−${rows.removed} rows${changed}`);
  } else if (rows.from !== rows.to) out.push(`rows ${rows.from} → ${rows.to}`);
  for (const c of t.schema.added) out.push(`new column ${c.name}`);
  for (const c of t.schema.removed) out.push(`dropped column ${c.name}`);
  for (const c of t.schema.typeChanged) out.push(`${c.name} ${c.from} → ${c.to}`);
  const drifting = t.columns
    .filter((c) => c.drift && c.drift.level !== 'none')
    .sort((a, b) => b.drift!.value - a.drift!.value)
    .slice(0, 3);
  for (const c of drifting) {
    const nulls = Math.abs(c.nulls.to - c.nulls.from) >= 0.01;
    out.push(
      nulls
        ? `${c.name} nulls ${pct(c.nulls.from)} → ${pct(c.nulls.to)} (${c.drift!.level})`
        : `${c.name} drift ${c.drift!.value} (${c.drift!.level})`,
    );
  }
  return out;
}
