/**
 * Row-level comparison of two row indexes (profile.ts) over the columns both tables have:
 * without a key, rows are multisets of row hashes (sorted, merged: added/removed, no "changed");
 * with a key, rows pair up by key hash (the first row of a key on each side; later rows with the
 * same key count as added/removed) and a pair whose row hashes differ is changed, column by
 * column. Exact up to hash collisions (32 bits a cell, 53 bits a row or key).
 */
import type { RowIndex } from './profile';
import { fmix } from './sketch';

export interface RowComparison {
  added: number;
  removed: number;
  changed: number | null;
  /** Per common column, keyed rows whose value differs (null without a key). */
  changedRows: (number | null)[];
  /** Up to SAMPLES row ordinals of each kind (for sample rows). */
  samples: { added: number[]; removed: number[]; changed: [number, number][] };
}

export const SAMPLES = 5;

const stride = (x: RowIndex) => (x.keyed ? 2 : 0) + x.columns;

/** A 53-bit hash of one row over the given cells (column positions), as a double. */
function rowHash(x: RowIndex, row: number, cols: readonly number[]): number {
  const base = row * stride(x) + (x.keyed ? 2 : 0);
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const c of cols) {
    const h = x.cells[base + c]!;
    a = Math.imul(a ^ h, 0x9e3779b1);
    a = (a << 13) | (a >>> 19);
    b = Math.imul(b + h, 0x85ebca77) ^ (b >>> 15);
  }
  return fmix(a) * 2097152 + (fmix(b) >>> 11);
}

const keyHash = (x: RowIndex, row: number) => {
  const base = row * stride(x);
  return x.cells[base]! * 2097152 + (x.cells[base + 1]! >>> 11);
};

function unkeyed(
  a: RowIndex,
  b: RowIndex,
  colsA: readonly number[],
  colsB: readonly number[],
): RowComparison {
  const ha = new Float64Array(a.rows);
  const hb = new Float64Array(b.rows);
  for (let r = 0; r < a.rows; r++) ha[r] = rowHash(a, r, colsA);
  for (let r = 0; r < b.rows; r++) hb[r] = rowHash(b, r, colsB);
  const sa = ha.slice().sort();
  const sb = hb.slice().sort();
  let i = 0;
  let j = 0;
  let added = 0;
  let removed = 0;
  const gone = new Set<number>();
  const come = new Set<number>();
  while (i < sa.length || j < sb.length) {
    if (j >= sb.length || (i < sa.length && sa[i]! < sb[j]!)) {
      if (gone.size < SAMPLES) gone.add(sa[i]!);
      removed++;
      i++;
    } else if (i >= sa.length || sb[j]! < sa[i]!) {
      if (come.size < SAMPLES) come.add(sb[j]!);
      added++;
      j++;
    } else {
      i++;
      j++;
    }
  }
  const ordinals = (h: Float64Array, wanted: Set<number>) => {
    const out: number[] = [];
    for (let r = 0; r < h.length && out.length < wanted.size; r++) if (wanted.has(h[r]!)) out.push(r);
    return out;
  };
  return {
    added,
    removed,
    changed: null,
    changedRows: colsA.map(() => null),
    samples: { added: ordinals(hb, come), removed: ordinals(ha, gone), changed: [] },
  };
}

/**
 * Open addressing over typed arrays, key hash → first row with it (+1; −1 once matched): a
 * `Map` of 1,000,000 doubles cost over a second; this costs ~100 ms.
 */
class KeyTable {
  readonly keys: Float64Array;
  readonly rows: Int32Array;
  private readonly mask: number;

  constructor(n: number) {
    let size = 16;
    while (size < n * 2) size *= 2;
    this.keys = new Float64Array(size);
    this.rows = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The slot holding k, or the empty slot where it would go. */
  slot(k: number): number {
    let i = fmix(k >>> 0) & this.mask;
    while (this.rows[i] !== 0 && this.keys[i] !== k) i = (i + 1) & this.mask;
    return i;
  }
}

function keyed(a: RowIndex, b: RowIndex, colsA: readonly number[], colsB: readonly number[]): RowComparison {
  const table = new KeyTable(a.rows);
  let removed = 0;
  for (let r = 0; r < a.rows; r++) {
    const k = keyHash(a, r);
    const i = table.slot(k);
    // A later row with a key already seen pairs with nothing: it is removed.
    if (table.rows[i] !== 0) removed++;
    else {
      table.keys[i] = k;
      table.rows[i] = r + 1;
    }
  }
  const out: RowComparison = {
    added: 0,
    removed: 0,
    changed: 0,
    changedRows: colsA.map(() => 0),
    samples: { added: [], removed: [], changed: [] },
  };
  const sa = stride(a);
  const sb = stride(b);
  for (let r = 0; r < b.rows; r++) {
    const i = table.slot(keyHash(b, r));
    const match = table.rows[i]! > 0 ? table.rows[i]! - 1 : -1;
    if (match < 0) {
      out.added++;
      if (out.samples.added.length < SAMPLES) out.samples.added.push(r);
      continue;
    }
    table.rows[i] = -1;
    let differs = false;
    for (let c = 0; c < colsA.length; c++) {
      if (a.cells[match * sa + 2 + colsA[c]!] !== b.cells[r * sb + 2 + colsB[c]!]) {
        differs = true;
        out.changedRows[c]!++;
      }
    }
    if (differs) {
      out.changed!++;
      if (out.samples.changed.length < SAMPLES) out.samples.changed.push([match, r]);
    }
  }
  let unmatched = 0;
  for (let i = 0; i < table.rows.length; i++) {
    const row = table.rows[i]!;
    if (row <= 0) continue;
    unmatched++;
    if (out.samples.removed.length < SAMPLES) out.samples.removed.push(row - 1);
  }
  out.removed = removed + unmatched;
  return out;
}

/** Compares two indexes over common columns, given as positions in each (same order). */
export function compareRows(
  a: RowIndex,
  b: RowIndex,
  colsA: readonly number[],
  colsB: readonly number[],
): RowComparison {
  return a.keyed && b.keyed ? keyed(a, b, colsA, colsB) : unkeyed(a, b, colsA, colsB);
}
