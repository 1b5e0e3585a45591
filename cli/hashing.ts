/**
 * SHA-256 of files and streams with node:crypto, read in 1 MiB chunks: a file is never held
 * whole in memory, whatever its size.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export const READ_CHUNK = 1024 * 1024;

export interface Hashed {
  digest: string;
  size: number;
}

export async function hashFile(path: string, onBytes?: (n: number) => void): Promise<Hashed> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
    onBytes?.((chunk as Buffer).byteLength);
  }
  return { digest: digestOf(hash), size };
}

export function digestOf(hash: Hash): string {
  return `sha256:${hash.digest('hex')}`;
}

export function sha256(bytes: Uint8Array | string): string {
  return digestOf(createHash('sha256').update(bytes));
}
