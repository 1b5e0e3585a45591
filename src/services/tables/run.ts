/**
 * Profiling one stored file: its format from the extension, checked by sniffing the first bytes
 * (a binary file named .csv fails here, with a reason), then the bytes streamed from the
 * BlobStore through a strict UTF-8 decoder into a reader and the profiler. Memory is bounded by
 * the sketches, the longest row, and the row index (capped, see profile.ts).
 * The stream's reader is cancelled only when we stop early, and released on every path.
 */
import type { Digest } from '../../contract/grammar';
import { type TableFormat, tableFormatOf } from '../../contract/tables';

export { tableFormatOf };

import type { Deps } from '../../deps';
import { type ProfileResult, Profiler } from './profile';
import { csvReader, jsonlReader, type RowSink, TableError } from './reader';

const SNIFF_BYTES = 8192;

function sniff(bytes: Uint8Array, format: TableFormat): void {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.includes(0))
    throw new TableError(`not ${format} text: binary content (NUL bytes) in the first bytes`);
}

export type ProfileOutcome = { ok: true; result: ProfileResult } | { ok: false; reason: string };

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
  const read = await deps.blobs.get(digest);
  if (!read) return { ok: false, reason: 'the file is not stored' };
  const table = format === 'jsonl' ? jsonlReader(sink) : csvReader(sink, format === 'tsv' ? '\t' : ',');
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const reader = read.body.getReader();
  let first = true;
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        break;
      }
      if (first) sniff(chunk.value, format);
      first = false;
      table.push(decode(decoder, chunk.value, true));
      if (stop()) return { ok: true };
    }
    table.push(decode(decoder, new Uint8Array(0), false));
    table.end();
    return { ok: true };
  } catch (e) {
    if (!(e instanceof TableError)) throw e;
    return { ok: false, reason: e.message };
  } finally {
    // Cancel only a stream we left early: cancelling a finished one floods the runtime's logs.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

export async function profileStored(
  deps: Deps,
  digest: Digest,
  format: TableFormat,
  key: readonly string[] | null,
): Promise<ProfileOutcome> {
  const profiler = new Profiler(format, key);
  const read = await streamRows(deps, digest, format, profiler);
  if (!read.ok) return read;
  try {
    return { ok: true, result: profiler.finish() };
  } catch (e) {
    if (!(e instanceof TableError)) throw e;
    return { ok: false, reason: e.message };
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
