/**
 * The profiler: rows in (from reader.ts or parquet.ts), a TableProfile and a row index out. Per
 * column it keeps fixed-size state (sketch.ts) and, per row, one 32-bit hash per column (plus a
 * 64-bit hash of the key columns when a key is declared): the row index that lets a diff count
 * added, removed and changed rows exactly (up to hash collisions) without reading either file
 * again. The index is capped (MAX_INDEX_CELLS); a larger table gets a profile without one, and
 * its diffs say rows from → to without the set difference.
 * All of its state can be saved and restored (`save`, `Profiler.restore`) with the index pages
 * already full taken out (`takePages`), so a profile computed over several steps (run.ts) is the
 * one a single pass computes, cell for cell.
 */
import type { ColumnProfile, ColumnType, TableFormat, TableProfile } from '../../contract/tables';
import type { RowSink } from './reader';
import { TableError } from './reader';
import { fmix, HyperLogLog, hash32, Reservoir, type ReservoirState, TopValues } from './sketch';

/** 32-bit cells kept for the row index: 40 MiB (1,000,000 rows of up to 8 columns and a key), a third of the Worker's 128 MB. */
export const MAX_INDEX_CELLS = 10 * 1024 * 1024;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;

/** 2: an integer, 1: another number, 0: not a number. Digits-only is decided without a regex. */
function numberKind(v: string): number {
  let i = v.charCodeAt(0) === 45 || v.charCodeAt(0) === 43 ? 1 : 0;
  if (i === v.length) return 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return NUMBER.test(v) ? 1 : 0;
  }
  return 2;
}

class Column {
  nulls = 0;
  ints = 0;
  nums = 0;
  bools = 0;
  values = 0;
  // Welford's running mean and sum of squares, over the values that parse as numbers.
  count = 0;
  mean = 0;
  m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  minText: string | null = null;
  maxText: string | null = null;
  hll = new HyperLogLog();
  reservoir = new Reservoir();
  top = new TopValues();

  constructor(
    readonly name: string,
    priorNulls: number,
    /** The type the file declares (Parquet); text formats infer theirs. */
    readonly declared: ColumnType | null = null,
  ) {
    this.nulls = priorNulls;
  }

  save(): ColumnState {
    const { name, declared, nulls, ints, nums, bools, values, count, mean, m2, minText, maxText } = this;
    return {
      ...{ name, declared, nulls, ints, nums, bools, values, count, mean, m2, minText, maxText },
      min: count ? this.min : null,
      max: count ? this.max : null,
      hll: this.hll.save(),
      reservoir: this.reservoir.save(),
      top: this.top.save(),
    };
  }

  static restore(s: ColumnState): Column {
    const c = new Column(s.name, s.nulls, s.declared);
    Object.assign(c, {
      ...{ ints: s.ints, nums: s.nums, bools: s.bools, values: s.values, count: s.count },
      ...{ mean: s.mean, m2: s.m2, minText: s.minText, maxText: s.maxText },
      min: s.min ?? Number.POSITIVE_INFINITY,
      max: s.max ?? Number.NEGATIVE_INFINITY,
      hll: HyperLogLog.restore(s.hll),
      reservoir: Reservoir.restore(s.reservoir),
      top: TopValues.restore(s.top),
    });
    return c;
  }

  add(v: string | null, h: number): void {
    if (v === null) {
      this.nulls++;
      return;
    }
    this.values++;
    this.hll.add(h);
    this.top.add(v);
    if (this.minText === null || v < this.minText) this.minText = v;
    if (this.maxText === null || v > this.maxText) this.maxText = v;
    const kind = numberKind(v);
    if (kind === 0) {
      if (v.length <= 5 && BOOLEAN.test(v)) this.bools++;
      return;
    }
    this.nums++;
    if (kind === 2) this.ints++;
    const x = Number(v);
    this.count++;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.reservoir.add(x);
  }

  type(): ColumnType {
    if (this.declared) return this.declared;
    if (this.values === 0) return 'empty';
    if (this.ints === this.values) return 'integer';
    if (this.nums === this.values) return 'number';
    if (this.bools === this.values) return 'boolean';
    return 'string';
  }

  profile(): ColumnProfile {
    const type = this.type();
    // A declared numeric column (Parquet) may hold no value at all: no statistics, not zeros.
    const numeric = (type === 'integer' || type === 'number') && this.count > 0;
    return {
      name: this.name,
      type,
      nulls: this.nulls,
      distinct: this.hll.estimate(),
      min: numeric ? this.min : this.minText,
      max: numeric ? this.max : this.maxText,
      mean: numeric ? this.mean : null,
      std: numeric ? (this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : 0) : null,
      quantiles: numeric ? this.reservoir.quantiles() : [],
      top: this.top.top(20),
    };
  }
}

interface ColumnState {
  name: string;
  declared: ColumnType | null;
  nulls: number;
  ints: number;
  nums: number;
  bools: number;
  values: number;
  count: number;
  mean: number;
  m2: number;
  min: number | null;
  max: number | null;
  minText: string | null;
  maxText: string | null;
  hll: string;
  reservoir: ReservoirState;
  top: [string, number][];
}

export interface RowIndex {
  rows: number;
  /** Columns hashed per row, in the profile's column order. */
  columns: number;
  /** Whether each row starts with two cells of key hash. */
  keyed: boolean;
  cells: Uint32Array;
}

/**
 * A row index as the profiler writes it, in pages of PAGE_CELLS. `widths` (JSON Lines, whose
 * rows widen as keys appear): each row's column cells are prefixed by their count, and a reader
 * lays them out at the final width (store.ts readIndex); otherwise every row has `columns` cells.
 */
export interface IndexPages extends Omit<RowIndex, 'cells'> {
  widths: boolean;
  pages: Uint32Array[];
  length: number;
}

/** A profiler between two steps: everything but the index pages already taken out. */
export interface ProfilerState {
  format: TableFormat;
  key: string[] | null;
  rows: number;
  keyAt: number[] | null;
  columns: ColumnState[];
  /** Cells written so far (taken pages included), whether the cap was passed, the open page. */
  cells: { length: number; overflow: boolean; open: number[] };
}

export interface ProfileResult {
  profile: TableProfile;
  /** null when the table outgrew MAX_INDEX_CELLS. */
  index: IndexPages | null;
}

/** Cells per page (1 MiB): the unit of growth and of storage, so no buffer is ever copied whole. */
export const PAGE_CELLS = 1 << 18;

/** Appends cells into pages (JSON Lines: each row prefixed by its width, as rows may widen). */
class Pages {
  pages: Uint32Array[] = [];
  private page = new Uint32Array(PAGE_CELLS);
  private at = 0;
  length = 0;
  overflow = false;

  /** The full pages, handed over and forgotten (written to D1 by a step that stops). */
  take(): Uint32Array[] {
    const full = this.pages;
    this.pages = [];
    return full;
  }

  save(): ProfilerState['cells'] {
    return { length: this.length, overflow: this.overflow, open: Array.from(this.page.subarray(0, this.at)) };
  }

  static restore(s: ProfilerState['cells']): Pages {
    const p = new Pages();
    p.length = s.length;
    p.overflow = s.overflow;
    if (s.overflow) p.page = new Uint32Array(0);
    else p.page.set(s.open);
    p.at = s.open.length;
    return p;
  }

  push(x: number): void {
    if (this.overflow) return;
    if (this.at === PAGE_CELLS) {
      this.pages.push(this.page);
      this.page = new Uint32Array(PAGE_CELLS);
      this.at = 0;
    }
    this.page[this.at++] = x;
    if (++this.length > MAX_INDEX_CELLS) {
      this.overflow = true;
      this.pages = [];
      this.page = new Uint32Array(0);
    }
  }

  /** The pages written, the last one cut to its length. */
  close(): Uint32Array[] {
    return [...this.pages, this.page.subarray(0, this.at)];
  }
}

export class Profiler implements RowSink {
  private columns: Column[] = [];
  private rows = 0;
  private cells = new Pages();
  private keyAt: number[] | null = null;

  constructor(
    private readonly format: TableFormat,
    private readonly key: readonly string[] | null,
  ) {}

  save(): ProfilerState {
    return {
      format: this.format,
      key: this.key ? [...this.key] : null,
      rows: this.rows,
      keyAt: this.keyAt,
      columns: this.columns.map((c) => c.save()),
      cells: this.cells.save(),
    };
  }

  static restore(s: ProfilerState): Profiler {
    const p = new Profiler(s.format, s.key);
    p.rows = s.rows;
    p.keyAt = s.keyAt;
    p.columns = s.columns.map((c) => Column.restore(c));
    p.cells = Pages.restore(s.cells);
    return p;
  }

  /** The full index pages written since the last call (see Pages.take). */
  takePages(): Uint32Array[] {
    return this.cells.take();
  }

  /** Called again (JSON Lines) when new columns appear: earlier rows were empty there. */
  header(names: string[], types?: ColumnType[]): void {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw new TableError(`the header names column "${n}" twice`);
      seen.add(n);
    }
    for (let i = this.columns.length; i < names.length; i++)
      this.columns.push(new Column(names[i]!, this.rows, types?.[i] ?? null));
    if (this.key) this.keyAt = this.key.map((k) => names.indexOf(k));
    if (this.format !== 'jsonl' && this.keyAt?.includes(-1)) {
      throw new TableError(`key column "${this.key![this.keyAt.indexOf(-1)]}" is not in the header`);
    }
  }

  row(values: (string | null)[]): void {
    this.rows++;
    const { cells } = this;
    if (this.keyAt) {
      let a = 0x12345678;
      let b = 0x9abcdef0;
      for (const k of this.keyAt) {
        const v = (k >= 0 ? values[k] : null) ?? '';
        a = fmix(a ^ hash32(v, 7));
        b = fmix(b ^ hash32(v, 11));
      }
      cells.push(a);
      cells.push(b);
    }
    const { columns } = this;
    // CSV rows all have the header's width; only JSON Lines rows need theirs recorded.
    if (this.format === 'jsonl') cells.push(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const v = values[i] ?? null;
      const h = v === null ? 0 : hash32(v, 1) | 1;
      columns[i]!.add(v, h);
      cells.push(h);
    }
  }

  finish(): ProfileResult {
    if (this.keyAt?.includes(-1)) {
      throw new TableError(`key column "${this.key![this.keyAt.indexOf(-1)]}" is in no row`);
    }
    const profile: TableProfile = {
      format: this.format,
      rows: this.rows,
      columns: this.columns.map((c) => c.profile()),
    };
    if (this.cells.overflow) return { profile, index: null };
    const index = {
      rows: this.rows,
      columns: this.columns.length,
      keyed: this.keyAt !== null,
      widths: this.format === 'jsonl',
      length: this.cells.length,
      pages: this.cells.close(),
    };
    return { profile, index };
  }
}
