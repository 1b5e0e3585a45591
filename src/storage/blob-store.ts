/**
 * The only module that knows R2 keys. Layout (content addressing, docs/DESIGN.md invariant 1):
 *
 *   blobs/
 *     sha256/
 *       <64 hex>     the bytes whose SHA-256 is <hex>: files, lockfiles and manifests alike
 *
 * Nothing else is ever written under `blobs/`. Multipart uploads assemble directly at the
 * blob's own key (R2 has no server-side copy, and a second full write would double the cost of
 * large uploads); until the assembled bytes are verified (hashed as the parts streamed in, or
 * re-hashed after assembly), no D1 `blobs` row exists, so nothing serves it (see
 * services/uploads.ts).
 */
import { type Digest, hexOf, isDigest } from '../contract/grammar';
import { sha256OfStream } from '../lib/digest';

export const BLOB_CONTENT_TYPE = 'application/octet-stream';

export function blobKey(digest: Digest): string {
  return `blobs/sha256/${hexOf(digest)}`;
}

export type PutResult = { ok: true; size: number } | { ok: false; reason: 'digest-mismatch' };

/**
 * Stores `body` under the digest's key. R2 checks the SHA-256 itself and keeps nothing when it
 * differs, so a wrong byte never becomes an object.
 */
export async function putVerified(
  bucket: R2Bucket,
  digest: Digest,
  body: ReadableStream | ArrayBuffer | string,
  contentType = BLOB_CONTENT_TYPE,
): Promise<PutResult> {
  try {
    const object = await bucket.put(blobKey(digest), body, {
      sha256: hexOf(digest),
      httpMetadata: { contentType },
    });
    return { ok: true, size: object?.size ?? 0 };
  } catch (err) {
    if (isChecksumMismatch(err)) return { ok: false, reason: 'digest-mismatch' };
    throw err;
  }
}

function isChecksumMismatch(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /sha-?256|checksum|digest/i.test(message) && /match/i.test(message);
}

export function getBlob(bucket: R2Bucket, digest: Digest, range?: R2Range): Promise<R2ObjectBody | null> {
  return bucket.get(blobKey(digest), range ? { range } : undefined);
}

export function headBlob(bucket: R2Bucket, digest: Digest): Promise<R2Object | null> {
  return bucket.head(blobKey(digest));
}

export async function deleteBlob(bucket: R2Bucket, digest: Digest): Promise<void> {
  await bucket.delete(blobKey(digest));
}

/** Deletes many blobs' bytes: R2 takes up to 1,000 keys per call. */
export async function deleteBlobs(bucket: R2Bucket, digests: readonly Digest[]): Promise<void> {
  for (let i = 0; i < digests.length; i += 1000) {
    await bucket.delete(digests.slice(i, i + 1000).map(blobKey));
  }
}

const KEY_PREFIX = 'blobs/sha256/';

export interface StoredObject {
  digest: Digest;
  size: number;
  uploaded: Date;
}

/**
 * One page of stored objects in key order, after the digest `after` (any hex prefix works, so a
 * scan can start anywhere in the key space). `next` is null at the end of the key space.
 */
export async function listBlobObjects(
  bucket: R2Bucket,
  after: string,
  limit = 1000,
): Promise<{ objects: StoredObject[]; next: string | null }> {
  const page = await bucket.list({ prefix: KEY_PREFIX, startAfter: `${KEY_PREFIX}${after}`, limit });
  const all = page.objects.map((o) => ({
    digest: `sha256:${o.key.slice(KEY_PREFIX.length)}` as Digest,
    size: o.size,
    uploaded: o.uploaded,
  }));
  const last = all.at(-1);
  return {
    objects: all.filter((o) => isDigest(o.digest)),
    next: page.truncated && last ? hexOf(last.digest) : null,
  };
}

/** Re-hashes the stored object by streaming it (never held in memory); null when absent. */
export async function hashStoredBlob(
  bucket: R2Bucket,
  digest: Digest,
): Promise<{ hex: string; size: number } | null> {
  const object = await bucket.get(blobKey(digest));
  if (!object) return null;
  return { hex: await sha256OfStream(object.body), size: object.size };
}

export async function createMultipart(bucket: R2Bucket, digest: Digest): Promise<string> {
  const upload = await bucket.createMultipartUpload(blobKey(digest), {
    httpMetadata: { contentType: BLOB_CONTENT_TYPE },
  });
  return upload.uploadId;
}

export async function uploadPart(
  bucket: R2Bucket,
  digest: Digest,
  r2UploadId: string,
  partNumber: number,
  body: ReadableStream | ArrayBuffer,
): Promise<string> {
  const part = await bucket.resumeMultipartUpload(blobKey(digest), r2UploadId).uploadPart(partNumber, body);
  return part.etag;
}

export async function completeMultipart(
  bucket: R2Bucket,
  digest: Digest,
  r2UploadId: string,
  parts: R2UploadedPart[],
): Promise<R2Object> {
  return bucket.resumeMultipartUpload(blobKey(digest), r2UploadId).complete(parts);
}

/** Aborts an R2 multipart upload; an upload R2 no longer knows is already gone, which is fine. */
export async function abortMultipart(bucket: R2Bucket, digest: Digest, r2UploadId: string): Promise<void> {
  try {
    await bucket.resumeMultipartUpload(blobKey(digest), r2UploadId).abort();
  } catch (err) {
    if (!/not ?found|NoSuchUpload|does not exist/i.test(String(err))) throw err;
  }
}
