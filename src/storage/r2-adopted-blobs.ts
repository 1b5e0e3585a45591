/**
 * Adopted staging objects (BlobStore `staging.adopt`) in R2: how an OCI upload's staged chunks
 * become a blob without a second write of their bytes (R2 has no server-side copy).
 *
 * An adopted blob is a pointer: an EMPTY object at the blob's own key (`blobs/sha256/<hex>`)
 * whose custom metadata names the staged objects and their sizes, in order. Being at the blob's
 * key, it is fetched, headed, listed (GC's orphan scan sees it) and deleted like any blob; an
 * object without that metadata is a plain blob, and costs nothing more to read. A pointer is not
 * written with R2's `sha256` check, so `get` never says the store vouches for it: D1's row (made
 * only after the caller hashed every staged byte) decides whether it is served, as for a
 * multipart assembly.
 *
 * R2 caps custom metadata at 2,048 bytes: an upload of more than MAX_ADOPTED_SEGMENTS chunks is
 * `unsupported` here and its caller copies the bytes instead (OCI clients that send a layer in
 * one PATCH, as skopeo and podman do, have one).
 */
import type { AdoptOutcome, ByteRange } from './blob-store';

const SEGMENTS = 'cairn-adopted';
const CONTENT_TYPE = 'application/octet-stream';
/** ~40 bytes a segment (`staging/oci_<22>/<n>:<size>`) keeps the metadata well under 2 KiB. */
export const MAX_ADOPTED_SEGMENTS = 32;
/** Heads in flight at once when deleting blobs (GC deletes up to 1,000 at a time). */
const HEADS_IN_FLIGHT = 50;

export interface Segment {
  key: string;
  size: number;
}

/** The segments an object points at, or null for a plain blob. */
export function adoptedSegments(object: Pick<R2Object, 'customMetadata'>): Segment[] | null {
  const raw = object.customMetadata?.[SEGMENTS];
  if (raw === undefined) return null;
  return raw.split(',').map((part) => {
    const at = part.lastIndexOf(':');
    return { key: part.slice(0, at), size: Number(part.slice(at + 1)) };
  });
}

export const adoptedSize = (segments: readonly Segment[]) => segments.reduce((sum, s) => sum + s.size, 0);

/** Writes the pointer at `blobKey` to the staged objects `keys` (full R2 keys), in order. */
export async function adoptStaged(
  bucket: R2Bucket,
  blobKey: string,
  keys: readonly string[],
): Promise<AdoptOutcome> {
  if (keys.length === 0 || keys.length > MAX_ADOPTED_SEGMENTS) return { ok: false, reason: 'unsupported' };
  const heads = await Promise.all(keys.map((key) => bucket.head(key)));
  const segments: Segment[] = [];
  for (const [k, head] of heads.entries()) {
    if (!head) return { ok: false, reason: 'staging-missing' };
    segments.push({ key: keys[k]!, size: head.size });
  }
  await bucket.put(blobKey, new Uint8Array(0), {
    customMetadata: { [SEGMENTS]: segments.map((s) => `${s.key}:${s.size}`).join(',') },
    httpMetadata: { contentType: CONTENT_TYPE },
  });
  return { ok: true, size: adoptedSize(segments) };
}

/** True when the object at `blobKey` is a pointer to exactly the staged objects `keys`, in order. */
export async function adoptedFrom(
  bucket: R2Bucket,
  blobKey: string,
  keys: readonly string[],
): Promise<boolean> {
  const head = await bucket.head(blobKey);
  const segments = head ? adoptedSegments(head) : null;
  return segments !== null && segments.length === keys.length && segments.every((s, i) => s.key === keys[i]);
}

/**
 * The bytes of `segments` (all, or `range` of them), one ranged read per segment touched; when
 * that is one segment, its R2 body as it comes (no stream in between).
 */
export async function readSegments(
  bucket: R2Bucket,
  segments: readonly Segment[],
  range?: ByteRange,
): Promise<ReadableStream<Uint8Array>> {
  const start = range?.offset ?? 0;
  const end = range ? start + range.length : adoptedSize(segments);
  const reads: { key: string; offset: number; length: number }[] = [];
  let at = 0;
  for (const segment of segments) {
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, segment.size);
    at += segment.size;
    if (to > from) reads.push({ key: segment.key, offset: from, length: to - from });
  }
  const read = async (r: (typeof reads)[number]) => {
    const object = await bucket.get(r.key, { range: { offset: r.offset, length: r.length } });
    if (!object) throw new Error(`adopted segment ${r.key} is missing`);
    return object.body;
  };
  if (reads.length === 1) return read(reads[0]!);
  const out = new FixedLengthStream(end - start);
  const pump = async () => {
    for (const r of reads)
      await (await read(r)).pipeTo(out.writable, { preventClose: true, preventAbort: true });
    await out.writable.close();
  };
  pump().catch((err) => out.writable.abort(err).catch(() => undefined));
  return out.readable;
}

/** Deletes the segments of every adopted blob among `blobKeys` (the pointers are the caller's). */
export async function deleteAdoptedSegments(bucket: R2Bucket, blobKeys: readonly string[]): Promise<void> {
  for (let i = 0; i < blobKeys.length; i += HEADS_IN_FLIGHT) {
    const heads = await Promise.all(blobKeys.slice(i, i + HEADS_IN_FLIGHT).map((key) => bucket.head(key)));
    const keys = heads.flatMap((head) => (head ? (adoptedSegments(head) ?? []) : [])).map((s) => s.key);
    // R2 deletes at most 1,000 keys a call.
    for (let k = 0; k < keys.length; k += 1000) await bucket.delete(keys.slice(k, k + 1000));
  }
}
