/**
 * Profiling one stored file: its format from the extension, checked by sniffing the first bytes
 * (a binary file named .csv fails here, with a reason; a Parquet file must start and end with
 * PAR1), then the bytes streamed from the BlobStore through a strict UTF-8 decoder into a reader
 * and the profiler (Parquet: row group by row group, parquet.ts). Memory is bounded by the
 * sketches, the longest row (or one row group), and the row index (capped, see profile.ts).
 * A file too large for one invocation is profiled in steps (`profileStep`): each reads about
 * `budget` bytes, stops between two chunks (text: never inside a UTF-8 sequence; Parquet:
 * between row groups) and hands back the profiler's and the reader's state for the next step.
 * The stream's reader is cancelled only when we stop early, and released on every path.
 */
import type { Digest } from '../../contract/grammar';
import { type TableFormat, tableFormatOf } from '../../contract/tables';

export { tableFormatOf };

import type { Deps } from '../../deps';
import { openParquet, parquetRows } from './parquet';
import { type ProfileResult, Profiler, type ProfilerState } from './profile';
import { csvReader, jsonlReader, type ReaderState, type RowSink, TableError } from './reader';

const SNIFF_BYTES = 8192;

function sniff(bytes: Uint8Array, format: TableFormat): void {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.includes(0))
    throw new TableError(`not ${format} text: binary content (NUL bytes) in the first bytes`);
}

/** Where a text read stands after a step: the next byte to read and the reader's state. */
interface TextFrom {
  offset: number;
  size: number;
  reader: ReaderState;
}

/** The last `n` bytes of `before` followed by `bytes`. */
function lastBytes(before: Uint8Array, bytes: Uint8Array, n: number): Uint8Array {
  if (bytes.length >= n) return bytes.subarray(bytes.length - n);
  const keep = Math.min(before.length, n - bytes.length);
  const out = new Uint8Array(keep + bytes.length);
  out.set(before.subarray(before.length - keep));
  out.set(bytes, keep);
  return out;
}

/** Bytes at the end of `bytes` that start a UTF-8 sequence they do not finish (0 to 3). */
export function unfinishedUtf8(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if (b < 0x80) return 0;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return need > back ? back : 0;
    }
  }
  return 0;
}

/**
 * Streams a stored text file's rows into `sink`, from the start or from where a step stopped.
 * Returns null when the file is read to its end, else where the next step starts (after at
 * least `budget` bytes). `stop` lets a caller that has what it needs end the read early.
 */
async function streamText(
  deps: Deps,
  digest: Digest,
  format: TableFormat,
  sink: RowSink,
  from: TextFrom | null,
  budget: number,
  stop: () => boolean,
  between: () => Promise<void> = async () => undefined,
): Promise<TextFrom | null> {
  const start = from?.offset ?? 0;
  // A step asks for its own bytes only: a range to the end would have the store send them all.
  const size = from?.size ?? (Number.isFinite(budget) ? await storedSize(deps, digest) : null);
  const range = !size ? undefined : { offset: start, length: Math.min(size - start, budget) };
  const read = await deps.blobs.get(digest, range);
  if (!read) throw new TableError('the file is not stored');
  const delim = format === 'tsv' ? '\t' : ',';
  const table = format === 'jsonl' ? jsonlReader(sink, from?.reader) : csvReader(sink, delim, from?.reader);
  // A resumed decoder starts mid-file: a U+FEFF there is a character, not a byte-order mark.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: start > 0 });
  const reader = read.body.getReader();
  let offset = start;
  let done = false;
  // The last bytes read (up to 3, across chunks): a character may start in an earlier chunk.
  let tail: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        break;
      }
      const bytes = chunk.value;
      if (offset === 0) sniff(bytes, format);
      const last = offset + bytes.length - start >= budget && offset + bytes.length < read.size;
      table.push(decode(decoder, bytes, true));
      await between();
      offset += bytes.length;
      tail = lastBytes(tail, bytes, 3);
      // A step ends between two whole characters: the decoder holds an unfinished one back (and
      // is dropped with it), and the next step starts at that character's first byte.
      if (last) return { offset: offset - unfinishedUtf8(tail), size: read.size, reader: table.save() };
      if (stop()) return null;
    }
    table.push(decode(decoder, new Uint8Array(0), false));
    table.end();
    return null;
  } finally {
    // Cancel only a stream we left early: cancelling a finished one floods the runtime's logs.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

async function storedSize(deps: Deps, digest: Digest): Promise<number> {
  const info = await deps.blobs.head(digest);
  if (!info) throw new TableError('the file is not stored');
  return info.size;
}

/**
 * Streams a stored file's rows into `sink`; a TableError (malformed input) becomes the reason.
 * `stop` lets a caller that has what it needs end the read early.
 */
export async function streamRows(
  deps: Deps,
  digest: Digest,
  format: TableFormat,
  sink: RowSink,
  stop: () => boolean = () => false,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    if (format === 'parquet') {
      const file = await openParquet(deps, digest, await storedSize(deps, digest));
      await parquetRows(file, sink, 0, Number.POSITIVE_INFINITY, stop);
    } else await streamText(deps, digest, format, sink, null, Number.POSITIVE_INFINITY, stop);
    return { ok: true };
  } catch (e) {
    if (!(e instanceof TableError)) throw e;
    return { ok: false, reason: e.message };
  }
}

/** What a step that stopped hands to the next one (saved between invocations, store.ts). */
export interface StepState {
  profiler: ProfilerState;
  /** Text formats; null for Parquet, whose offset is the next row group. */
  text: TextFrom | null;
}

export type StepOutcome =
  | { kind: 'done'; result: ProfileResult }
  | { kind: 'failed'; reason: string }
  /** The index pages filled during this step went to `flush`; the state holds the open one. */
  | { kind: 'stopped'; offset: number; state: StepState };

/**
 * One step of a profile: from the start (`from` null) or from a saved step, reading about
 * `budget` bytes (Parquet: uncompressed bytes, at least one row group). Index pages are handed
 * to `flush` as they fill (between two chunks or row groups), so a step holds about one page of
 * the index, not all of it; the pages left when the file ends are in the result's index.
 */
export async function profileStep(
  deps: Deps,
  digest: Digest,
  format: TableFormat,
  key: readonly string[] | null,
  from: { offset: number; state: StepState } | null,
  budget: number,
  flush: (pages: Uint32Array[]) => Promise<void>,
): Promise<StepOutcome> {
  const profiler = from ? Profiler.restore(from.state.profiler) : new Profiler(format, key);
  const between = async () => {
    const pages = profiler.takePages();
    if (pages.length > 0) await flush(pages);
  };
  try {
    let next: { offset: number; text: TextFrom | null } | null = null;
    if (format === 'parquet') {
      const file = await openParquet(deps, digest, await storedSize(deps, digest));
      const read = await parquetRows(file, profiler, from?.offset ?? 0, budget, () => false, between);
      if (read.next < file.metadata.row_groups.length) next = { offset: read.next, text: null };
    } else {
      const text = await streamText(
        deps,
        digest,
        format,
        profiler,
        from?.state.text ?? null,
        budget,
        () => false,
        between,
      );
      if (text) next = { offset: text.offset, text };
    }
    if (next) {
      const state = { profiler: profiler.save(), text: next.text };
      await between();
      return { kind: 'stopped', offset: next.offset, state };
    }
    return { kind: 'done', result: profiler.finish() };
  } catch (e) {
    if (!(e instanceof TableError)) throw e;
    return { kind: 'failed', reason: e.message };
  }
}

/** The rows at these ordinals (0 = the first row after the header), with the column names. */
export async function rowsAt(
  deps: Deps,
  digest: Digest,
  format: TableFormat,
  ordinals: ReadonlySet<number>,
): Promise<{ columns: string[]; rows: Map<number, (string | null)[]> }> {
  let columns: string[] = [];
  const rows = new Map<number, (string | null)[]>();
  let n = 0;
  const last = Math.max(-1, ...ordinals);
  await streamRows(
    deps,
    digest,
    format,
    {
      header: (h) => {
        columns = h;
      },
      row: (v) => {
        if (ordinals.has(n)) rows.set(n, v);
        n++;
      },
    },
    // JSON Lines names later columns as they appear: read it to the end.
    () => format !== 'jsonl' && n > last,
  );
  return { columns, rows };
}

function decode(decoder: TextDecoder, bytes: Uint8Array, stream: boolean): string {
  try {
    return decoder.decode(bytes, { stream });
  } catch {
    throw new TableError('not UTF-8 text');
  }
}
