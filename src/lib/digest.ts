/**
 * Hashing bytes, strings and streams to SHA-256 hex in the Worker. What a digest looks like is
 * the contract's grammar (src/contract/grammar.ts).
 */
import { toHex } from './hex';

export { toHex };

export async function sha256Hex(data: string | ArrayBuffer | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

/** Bytes per read when hashing a byte stream (R2 bodies otherwise arrive in 4 KiB chunks). */
const HASH_READ_BYTES = 1024 * 1024;

/**
 * SHA-256 of a stream without holding it in memory (workerd's native DigestStream). Byte streams
 * (R2 bodies) are read 1 MiB at a time: with pipeTo, the per-chunk overhead of 4 KiB chunks, not
 * the hashing, dominated (measured 4–5× slower on a 256 MiB object).
 */
export async function sha256OfStream(stream: ReadableStream<Uint8Array>): Promise<string> {
  const digester = new crypto.DigestStream('SHA-256');
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: 'byob' });
  } catch {
    await stream.pipeTo(digester); // not a byte stream
    return toHex(await digester.digest);
  }
  const writer = digester.getWriter();
  // One buffer for the whole stream: each read hands it back once its write (and so its hashing)
  // is done, so hashing allocates nothing per chunk.
  let buffer = new ArrayBuffer(HASH_READ_BYTES);
  for (;;) {
    const { done, value } = await reader.readAtLeast(HASH_READ_BYTES, new Uint8Array(buffer));
    if (!value) break;
    if (value.byteLength > 0) await writer.write(value);
    if (done) break;
    buffer = value.buffer as ArrayBuffer;
  }
  await writer.close();
  return toHex(await digester.digest);
}
