/**
 * Downloads that verify while they stream: every chunk goes through SHA-256 on its way to disk,
 * into a temp file beside the destination that is renamed over it only when the digest and size
 * match. A mismatch (a tampered or truncated body) leaves nothing behind and exits 6.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { CliError, EXIT } from './exit-codes';
import { digestOf, type Hashed } from './hashing';

export interface Expected {
  digest: string;
  size: number;
}

function mismatch(what: string, expected: Expected, got: Hashed): CliError {
  const detail =
    got.size !== expected.size
      ? `${got.size} bytes instead of ${expected.size}`
      : `it hashes to ${got.digest}`;
  return new CliError(
    EXIT.VERIFY_FAILED,
    `${what}: verification failed (${detail}, expected ${expected.digest})`,
    'the bytes were altered in transit or in storage; nothing was written',
  );
}

/** Streams `res` through SHA-256 into `sink` (or nowhere); returns what was read. */
async function hashBody(res: Response, onBytes: (n: number) => void, sink: Writable): Promise<Hashed> {
  if (!res.body) throw new CliError(EXIT.ERROR, 'the response has no body');
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    Readable.fromWeb(res.body as NodeWebStream<Uint8Array>),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.byteLength;
        onBytes(chunk.byteLength);
        yield chunk;
      }
    },
    sink,
  );
  return { digest: digestOf(hash), size };
}

/** Reads and hashes a body, keeping nothing: `cairn verify`. */
export async function verifyBody(
  res: Response,
  expected: Expected,
  what: string,
  onBytes: (n: number) => void,
) {
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  const got = await hashBody(res, onBytes, discard);
  if (got.digest !== expected.digest || got.size !== expected.size) throw mismatch(what, expected, got);
}

/** Writes a body to `dest` atomically, only if it hashes to the expected digest. */
export async function downloadTo(
  res: Response,
  dest: string,
  expected: Expected,
  onBytes: (n: number) => void,
): Promise<void> {
  const temp = join(dirname(dest), `.cairn-${process.pid}-${Math.random().toString(36).slice(2)}.part`);
  try {
    const got = await hashBody(res, onBytes, createWriteStream(temp, { flags: 'wx' }));
    if (got.digest !== expected.digest || got.size !== expected.size) throw mismatch(dest, expected, got);
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
