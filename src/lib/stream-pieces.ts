/**
 * Reading a byte stream in large pieces through ONE reused buffer. Request and R2 bodies arrive in
 * small chunks, each a fresh ArrayBuffer; a Worker that reads 32 MiB packs three at a time that
 * way produced garbage faster than the isolate collected it and was restarted for memory (local
 * workerd, 128 MB). A BYOB reader fills the same buffer again and again instead.
 *
 * Each piece is a view of that buffer: valid only until the next piece is asked for. A consumer
 * that hands a piece on (a writer) must wait for the write to complete first: workerd's
 * IdentityTransformStream / FixedLengthStream complete a write once the other side has read it.
 */

/** Bytes per piece (the last one may be shorter). */
export const PIECE_BYTES = 1024 * 1024;

export async function* bytePieces(
  stream: ReadableStream<Uint8Array>,
  size = PIECE_BYTES,
): AsyncGenerator<Uint8Array> {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    byob = null; // not a byte stream: its own chunks, as they come
  }
  if (!byob) {
    const reader = stream.getReader();
    let finished = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          finished = true;
          return;
        }
        yield value;
      }
    } finally {
      if (!finished) await reader.cancel().catch(() => undefined);
    }
  }
  let buffer = new ArrayBuffer(size);
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await byob.readAtLeast(size, new Uint8Array(buffer));
      if (!value) {
        finished = true;
        return;
      }
      if (value.byteLength > 0) yield value;
      if (done) {
        finished = true;
        return;
      }
      buffer = value.buffer as ArrayBuffer;
    }
  } finally {
    if (!finished) await byob.cancel().catch(() => undefined);
  }
}
