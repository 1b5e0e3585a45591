/**
 * Digests are `sha256:` + 64 lowercase hex, everywhere in the API. The hex part alone is what R2's
 * `sha256` put option, R2 keys and Git LFS oids use.
 */
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
export const HEX64_RE = /^[0-9a-f]{64}$/;

export type Digest = `sha256:${string}`;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

export function hexOf(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) out += b.toString(16).padStart(2, '0');
  return out;
}

export async function sha256Hex(data: string | ArrayBuffer | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

/** SHA-256 of a stream without holding it in memory (workerd's native DigestStream). */
export async function sha256OfStream(stream: ReadableStream<Uint8Array>): Promise<string> {
  const digester = new crypto.DigestStream('SHA-256');
  await stream.pipeTo(digester);
  return toHex(await digester.digest);
}
