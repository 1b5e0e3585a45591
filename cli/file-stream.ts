/**
 * A file's bytes as an upload body: byte ranges read by offset, 1 MiB at a time, optionally after
 * a few bytes held in memory (a pack's header). Only what fetch asks for is read (highWaterMark
 * 0), so a slow upload holds one read in memory, not the file; `onBytes` hears of every file byte
 * handed over, for progress. `close()` releases the file whatever happened to the request (fetch
 * does not cancel a body it stopped reading when the server answered early).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { READ_CHUNK } from './hashing';

/** [start, end) byte offsets. */
export type ByteRange = readonly [start: number, end: number];

export function fileStream(
  abs: string,
  ranges: readonly ByteRange[],
  onBytes: (n: number) => void,
  head?: Uint8Array,
): ReadableStream<Uint8Array> & { close(): Promise<void> } {
  let file: FileHandle | null = null;
  let closed = false;
  let pending = head;
  let r = 0;
  let pos = ranges[0]?.[0] ?? 0;
  const close = async () => {
    closed = true;
    const f = file;
    file = null;
    await f?.close();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (pending) {
            controller.enqueue(pending);
            pending = undefined;
            return;
          }
          while (r < ranges.length && pos >= (ranges[r] as ByteRange)[1]) {
            r++;
            pos = ranges[r]?.[0] ?? 0;
          }
          const range = ranges[r];
          if (!range) {
            await close();
            return controller.close();
          }
          if (!file) {
            const opened = await open(abs);
            // Closed while it was opening (the request ended): never keep the handle.
            if (closed) return void (await opened.close());
            file = opened;
          }
          const want = Math.min(READ_CHUNK, range[1] - pos);
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await file.read(buf, 0, want, pos);
          if (closed) return;
          if (bytesRead === 0) throw new Error(`${abs} is shorter than when it was hashed`);
          pos += bytesRead;
          onBytes(bytesRead);
          controller.enqueue(new Uint8Array(buf.buffer, buf.byteOffset, bytesRead));
        } catch (err) {
          const wasClosed = closed;
          await close();
          if (!wasClosed) controller.error(err);
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  );
  return Object.assign(stream, { close });
}

/** Runs `send` with a file body and closes the file after it, whatever the outcome. */
export async function withFileStream<T>(
  stream: ReturnType<typeof fileStream>,
  send: (body: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  try {
    return await send(stream);
  } finally {
    await stream.close();
  }
}
