/**
 * Streaming readers for tabular text: CSV/TSV with a header (RFC 4180: quoted fields may hold
 * delimiters, doubled quotes and newlines; CRLF or LF line ends) and JSON Lines. They take decoded
 * text chunk by chunk and hand over whole rows, keeping only the unfinished tail of the last
 * chunk, so memory stays bounded by the longest row (MAX_ROW_CHARS) whatever the file's size.
 * We wrote the CSV reader rather than using a library: csv-parse and papaparse stream through
 * Node streams or the DOM's FileReader, neither of which exists in workerd.
 * Malformed input is a `TableError` with a reason a publisher can act on.
 */
import type { ColumnType } from '../../contract/tables';

/** Longest row kept in memory (a 2 GB single-line file fails here, not in the Worker's heap). */
export const MAX_ROW_CHARS = 1 << 20;

export class TableError extends Error {}

export type Row = string[];

export interface RowSink {
  /**
   * The columns: CSV once (its first row); JSON Lines each time a row brings a new key; Parquet
   * once, with the types its schema declares.
   */
  header(columns: string[], types?: ColumnType[]): void;
  row(values: (string | null)[]): void;
}

/** Where a reader stands between two chunks: what a resumed profile starts from (run.ts). */
export interface ReaderState {
  /** The unfinished last row (at most MAX_ROW_CHARS). */
  carry: string;
  /** CSV: rows read (the header included) and the header's width (-1 before it). */
  row: number;
  width: number;
  /** JSON Lines: the columns seen so far, in order. */
  columns: string[];
}

export interface TableReader {
  push(text: string): void;
  end(): void;
  save(): ReaderState;
}

/**
 * One CSV row starting at `at`: its fields and where the next row starts, or null when the row
 * does not end inside `text` (more text is needed, unless this is the end).
 */
function csvRow(
  text: string,
  at: number,
  delim: number,
  final: boolean,
): { fields: Row; next: number } | null {
  const fields: Row = [];
  let i = at;
  const n = text.length;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34) {
      // Quoted field: up to the quote that is not doubled.
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) {
          if (final) throw new TableError(`unterminated quoted field (row starting at character ${at})`);
          return null;
        }
        if (q + 1 >= n && !final) return null;
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      fields.push(value);
    } else {
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === delim || c === 10 || c === 13) break;
        j++;
      }
      fields.push(text.slice(i, j));
      i = j;
    }
    if (i >= n) return final ? { fields, next: n } : null;
    const c = text.charCodeAt(i);
    if (c === delim) {
      i++;
      if (i >= n && !final) return null;
      if (i >= n) {
        fields.push('');
        return { fields, next: n };
      }
      continue;
    }
    if (c === 10) return { fields, next: i + 1 };
    if (c === 13) {
      if (i + 1 >= n && !final) return null;
      return { fields, next: text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1 };
    }
    throw new TableError(
      `a quoted field is followed by text other than a delimiter or a line end (character ${i})`,
    );
  }
}

export function csvReader(sink: RowSink, delimiter: ',' | '\t', from?: ReaderState): TableReader {
  const delim = delimiter.charCodeAt(0);
  let carry = from?.carry ?? '';
  let width = from?.width ?? -1;
  let rowNumber = from?.row ?? 0;
  const take = (text: string, final: boolean) => {
    let at = 0;
    while (at < text.length) {
      // Blank lines carry no row (a trailing newline, or an empty line between rows).
      const c = text.charCodeAt(at);
      if (c === 10 || (c === 13 && text.charCodeAt(at + 1) === 10)) {
        at += c === 13 ? 2 : 1;
        continue;
      }
      if (c === 13 && at + 1 >= text.length && !final) break;
      const row = csvRow(text, at, delim, final);
      if (!row) break;
      at = row.next;
      rowNumber++;
      if (width < 0) {
        width = row.fields.length;
        sink.header(row.fields);
        continue;
      }
      if (row.fields.length !== width) {
        throw new TableError(`row ${rowNumber} has ${row.fields.length} fields; the header has ${width}`);
      }
      const values: (string | null)[] = row.fields;
      for (let i = 0; i < values.length; i++) if (values[i] === '') values[i] = null;
      sink.row(values);
    }
    carry = text.slice(at);
    if (carry.length > MAX_ROW_CHARS) {
      throw new TableError(`a row is longer than ${MAX_ROW_CHARS} characters (row ${rowNumber + 1})`);
    }
  };
  return {
    push: (text) => take(carry + text, false),
    end: () => {
      take(carry, true);
      if (width < 0) sink.header([]);
    },
    save: () => ({ carry, row: rowNumber, width, columns: [] }),
  };
}

const valueText = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);

/** JSON Lines: one object per line; columns are every key seen, in first-seen order. */
export function jsonlReader(sink: RowSink, from?: ReaderState): TableReader {
  let carry = from?.carry ?? '';
  let line = from?.row ?? 0;
  const columns = new Map<string, number>((from?.columns ?? []).map((c, i) => [c, i]));
  // Rows are handed over as they come; a key first seen late leaves earlier rows null there.
  const one = (text: string) => {
    line++;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new TableError(`line ${line} is not JSON`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TableError(`line ${line} is not a JSON object`);
    }
    const entries = Object.entries(value);
    const width = columns.size;
    for (const [k] of entries) if (!columns.has(k)) columns.set(k, columns.size);
    if (columns.size > width) sink.header([...columns.keys()]);
    const out: (string | null)[] = new Array(columns.size).fill(null);
    for (const [k, v] of entries) out[columns.get(k)!] = valueText(v);
    sink.row(out);
  };
  const take = (text: string, final: boolean) => {
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      one(text.slice(at, nl));
      at = nl + 1;
    }
    carry = text.slice(at);
    if (final && carry !== '') one(carry);
    if (carry.length > MAX_ROW_CHARS)
      throw new TableError(`line ${line + 1} is longer than ${MAX_ROW_CHARS} characters`);
  };
  return {
    push: (text) => take(carry + text, false),
    end: () => {
      take(carry, true);
      if (columns.size === 0) sink.header([]);
    },
    save: () => ({ carry, row: line, width: -1, columns: [...columns.keys()] }),
  };
}
