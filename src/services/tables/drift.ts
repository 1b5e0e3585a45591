/**
 * Distribution drift of one column between two profiles: the Population Stability Index,
 * PSI = Σ (to − from) · ln(to / from) over shares of rows, on bins taken from the older version:
 * its deciles for numbers (shares read off each side's percentile sketch), its top values and
 * "other" for categories; empty values are a bin of their own, so a column that starts arriving
 * empty drifts. Levels: none < 0.1 ≤ moderate < 0.25 ≤ major (README "Table diffs").
 */
import type { ColumnProfile, Drift, DriftLevel } from '../../contract/tables';

const EPSILON = 1e-4;
const TOP_BINS = 10;

export function driftLevel(psi: number): DriftLevel {
  return psi < 0.1 ? 'none' : psi < 0.25 ? 'moderate' : 'major';
}

export function psi(from: readonly number[], to: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < from.length; i++) {
    const e = Math.max(from[i]!, EPSILON);
    const a = Math.max(to[i]!, EPSILON);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Share of values ≤ x, interpolated from 101 percentiles. */
export function cdf(q: readonly number[], x: number): number {
  if (q.length === 0 || x < q[0]!) return 0;
  if (x >= q[q.length - 1]!) return 1;
  let i = 0;
  while (i + 1 < q.length && q[i + 1]! <= x) i++;
  const lo = q[i]!;
  const hi = q[i + 1]!;
  return (i + (hi > lo ? (x - lo) / (hi - lo) : 0)) / (q.length - 1);
}

const numeric = (c: ColumnProfile) => (c.type === 'integer' || c.type === 'number') && c.quantiles.length > 0;

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(3));

export interface ColumnDrift {
  drift: Drift;
  histogram: { labels: string[]; from: number[]; to: number[] };
}

/** Shares of rows per bin for one side: empties first, the rest scaled by the non-empty share. */
type Bins = (c: ColumnProfile, filled: number) => number[];

function shares(c: ColumnProfile, rows: number, bins: Bins): number[] {
  const filled = rows - c.nulls;
  return [c.nulls / rows, ...bins(c, filled).map((s) => (s * filled) / rows)];
}

export function columnDrift(
  from: ColumnProfile,
  rowsFrom: number,
  to: ColumnProfile,
  rowsTo: number,
): ColumnDrift | null {
  if (rowsFrom === 0 || rowsTo === 0) return null;
  let labels: string[];
  let bins: Bins;
  if (numeric(from) && numeric(to)) {
    const edges = [...new Set([10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => from.quantiles[p]!))];
    labels = [...edges.map((e) => `≤ ${fmt(e)}`), `> ${fmt(edges[edges.length - 1]!)}`];
    bins = (c) => {
      const cut = edges.map((e) => cdf(c.quantiles, e));
      return [...cut, 1].map((x, i) => x - (i === 0 ? 0 : cut[i - 1]!));
    };
  } else {
    const values = from.top.slice(0, TOP_BINS).map((t) => t.value);
    labels = [...values, 'other'];
    bins = (c, n) => {
      const known = values.map((v) => (n ? (c.top.find((t) => t.value === v)?.count ?? 0) / n : 0));
      return [...known, Math.max(0, 1 - known.reduce((x, y) => x + y, 0))];
    };
  }
  const f = shares(from, rowsFrom, bins);
  const t = shares(to, rowsTo, bins);
  const value = psi(f, t);
  return {
    drift: { metric: 'psi', value: Math.round(value * 1e4) / 1e4, level: driftLevel(value) },
    histogram: { labels: ['(empty)', ...labels], from: f, to: t },
  };
}
