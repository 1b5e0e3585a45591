/// <reference path="../../hyparquet-compressors.d.ts" />
/**
 * Parquet rows for the profiler, read with hyparquet over range reads of the BlobStore: the footer
 * first (checked before it is parsed), then one row group at a time, so memory holds one row
 * group's column chunks and decoded values, never the file. Values become the same text a CSV
 * of the same data holds (integers in decimal, numbers as JavaScript prints them, booleans as
 * true/false, dates as ISO 8601), so a table converted from CSV to Parquet profiles and diffs
 * alike; column types come from the schema, not from the values.
 * A file that is not Parquet, truncated, or corrupt anywhere is a `TableError` with a reason;
 * a failure of the store itself is not (it propagates, and the message is retried).
 */

import { decompress as decompressZstd } from 'fzstd';
import {
  type AsyncBuffer,
  type ColumnData,
  type FileMetaData,
  parquetMetadata,
  parquetRead,
  parquetSchema,
  type SchemaElement,
  toJson,
} from 'hyparquet';
// The codecs hyparquet lacks, without hysnappy (its index compiles WebAssembly from bytes at
// load, which workerd forbids; hyparquet's own snappy is pure JavaScript).
import { decompressBrotli } from 'hyparquet-compressors/src/brotli.js';
import { gunzip } from 'hyparquet-compressors/src/gzip.js';
import { decompressLz4, decompressLz4Raw } from 'hyparquet-compressors/src/lz4.js';
import type { Digest } from '../../contract/grammar';
import type { ColumnType } from '../../contract/tables';
import type { Deps } from '../../deps';
import { toBase64 } from '../../lib/base64';
import { type RowSink, TableError } from './reader';

const MAGIC = 0x31524150; // "PAR1", little-endian
/** A footer (the file's metadata) larger than this is refused before it is read. */
export const MAX_FOOTER_BYTES = 8 * 1024 * 1024;
/** A row group is read whole: one above these sizes is refused (README "Table diffs", limits). */
export const MAX_GROUP_COMPRESSED = 32 * 1024 * 1024;
export const MAX_GROUP_BYTES = 64 * 1024 * 1024;

const compressors = {
  GZIP: (input: Uint8Array, length: number) => gunzip(input, new Uint8Array(length)),
  BROTLI: decompressBrotli,
  ZSTD: (input: Uint8Array) => decompressZstd(input),
  LZ4: decompressLz4,
  LZ4_RAW: decompressLz4Raw,
};

/** Thrown by the store seam: not the file's fault, so never turned into a reason. */
class StoreFailure extends Error {}

function blobBuffer(deps: Deps, digest: Digest, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      if (end <= start) return new ArrayBuffer(0);
      let read: Awaited<ReturnType<Deps['blobs']['get']>>;
      try {
        read = await deps.blobs.get(digest, { offset: start, length: end - start });
      } catch (e) {
        throw new StoreFailure(String(e));
      }
      if (!read) throw new StoreFailure('the file is no longer stored');
      return new Response(read.body).arrayBuffer();
    },
  };
}

/** hyparquet's errors (and the TypeErrors corrupt bytes provoke) become a reason. */
async function guarded<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof StoreFailure || e instanceof TableError) throw e;
    throw new TableError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export interface ParquetFile {
  file: AsyncBuffer;
  metadata: FileMetaData;
  columns: string[];
  types: ColumnType[];
}

/** Checks the magic bytes and the footer's bounds, then parses the footer. */
export async function openParquet(deps: Deps, digest: Digest, size: number): Promise<ParquetFile> {
  const file = blobBuffer(deps, digest, size);
  if (size < 12) throw new TableError(`not Parquet: ${size} bytes is shorter than the smallest file`);
  const head = new DataView(await file.slice(0, 4));
  if (head.getUint32(0, true) !== MAGIC)
    throw new TableError('not Parquet: the file does not start with PAR1');
  const tail = new DataView(await file.slice(size - 8, size));
  if (tail.getUint32(4, true) !== MAGIC) {
    throw new TableError('not Parquet, or truncated: the file does not end with PAR1');
  }
  const length = tail.getUint32(0, true);
  if (length > size - 12) {
    throw new TableError(`corrupt Parquet footer: it claims ${length} bytes in a ${size}-byte file`);
  }
  if (length > MAX_FOOTER_BYTES) {
    throw new TableError(`Parquet footer of ${length} bytes is above the limit of ${MAX_FOOTER_BYTES}`);
  }
  const footer = await file.slice(size - 8 - length, size);
  const metadata = await guarded('corrupt Parquet footer', async () => parquetMetadata(footer));
  const top = await guarded('corrupt Parquet schema', async () => parquetSchema(metadata).children);
  const columns = top.map((c) => c.element.name);
  const types = top.map((c) => typeOf(c.element, c.children.length > 0));
  const rows = metadata.row_groups.reduce((n, g) => n + Number(g.num_rows), 0);
  if (rows !== Number(metadata.num_rows)) {
    throw new TableError(
      `corrupt Parquet footer: row groups hold ${rows} rows, the footer says ${metadata.num_rows}`,
    );
  }
  return { file, metadata, columns, types };
}

/** The profile type of a top-level column, from its physical and logical type. */
export function typeOf(e: SchemaElement, nested: boolean): ColumnType {
  if (nested) return 'string';
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  if (logical === 'DECIMAL' || converted === 'DECIMAL' || logical === 'FLOAT16') return 'number';
  if (logical === 'DATE' || logical === 'TIME' || logical === 'TIMESTAMP') return 'string';
  if (converted === 'DATE' || converted?.startsWith('TIME')) return 'string';
  switch (e.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
      return 'integer';
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    default:
      return 'string';
  }
}

/** A value as the text a CSV of the same data would hold (null for a missing one). */
export function cellText(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return null;
    default:
      if (v === null) return null;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
      if (v instanceof Uint8Array) return toBase64(v);
      return JSON.stringify(toJson(v));
  }
}

export interface GroupRead {
  /** The next row group to read; metadata.row_groups.length when the file is done. */
  next: number;
  /** Uncompressed bytes of the row groups read (what decoding them costs). */
  bytes: number;
}

const compressedSize = (f: ParquetFile, g: number) =>
  f.metadata.row_groups[g]!.columns.reduce((n, c) => n + Number(c.meta_data?.total_compressed_size ?? 0), 0);

/**
 * Hands the rows of the row groups from `from` to `sink` (calling header first when `from` is 0),
 * until `budget` uncompressed bytes are read (at least one group) or `stop` says enough;
 * `between` runs after each row group.
 */
export async function parquetRows(
  f: ParquetFile,
  sink: RowSink,
  from: number,
  budget = Number.POSITIVE_INFINITY,
  stop: () => boolean = () => false,
  between: () => Promise<void> = async () => undefined,
): Promise<GroupRead> {
  if (from === 0) sink.header(f.columns, f.types);
  const groups = f.metadata.row_groups;
  let rowStart = groups.slice(0, from).reduce((n, g) => n + Number(g.num_rows), 0);
  let bytes = 0;
  let g = from;
  for (; g < groups.length && (g === from || bytes < budget) && !stop(); g++) {
    const group = groups[g]!;
    const rows = Number(group.num_rows);
    const size = compressedSize(f, g);
    if (size > MAX_GROUP_COMPRESSED || Number(group.total_byte_size) > MAX_GROUP_BYTES) {
      throw new TableError(
        `Parquet row group ${g} is ${size} bytes compressed, ${group.total_byte_size} uncompressed: above the limits of ${MAX_GROUP_COMPRESSED} and ${MAX_GROUP_BYTES}`,
      );
    }
    const chunks = new Map<string, ColumnData[]>();
    await guarded(`corrupt Parquet row group ${g}`, () =>
      parquetRead({
        file: f.file,
        metadata: f.metadata,
        rowStart,
        rowEnd: rowStart + rows,
        compressors,
        onChunk: (c) => {
          const list = chunks.get(c.columnName) ?? [];
          list.push(c);
          chunks.set(c.columnName, list);
        },
      }),
    );
    const columns = f.columns.map((name) => flatten(chunks.get(name) ?? [], rowStart, rows, g, name));
    chunks.clear();
    const values: (string | null)[] = new Array(columns.length);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns.length; c++) values[c] = cellText(columns[c]![r]);
      sink.row(values.slice());
      if ((r & 1023) === 0 && stop()) break;
    }
    bytes += Number(group.total_byte_size);
    rowStart += rows;
    await between();
  }
  return { next: g, bytes };
}

/** One column's values in a row group, in row order (hyparquet may hand them over in pages). */
function flatten(
  chunks: ColumnData[],
  start: number,
  rows: number,
  g: number,
  name: string,
): ArrayLike<unknown> {
  if (chunks.length === 1 && chunks[0]!.rowStart === start && chunks[0]!.columnData.length === rows) {
    return chunks[0]!.columnData as ArrayLike<unknown>;
  }
  const out: unknown[] = new Array(rows);
  let filled = 0;
  for (const c of chunks) {
    const data = c.columnData as ArrayLike<unknown>;
    for (let i = 0; i < data.length; i++) {
      const at = c.rowStart - start + i;
      if (at >= 0 && at < rows) {
        out[at] = data[i];
        filled++;
      }
    }
  }
  if (filled !== rows) {
    throw new TableError(
      `corrupt Parquet row group ${g}: column "${name}" holds ${filled} of ${rows} values`,
    );
  }
  return out;
}
