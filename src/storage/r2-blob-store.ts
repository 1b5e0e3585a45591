/**
 * The BlobStore over one R2 bucket: the only module that knows R2 keys and R2's error wording.
 * Layout (content addressing, docs/DESIGN.md):
 *
 *   blobs/
 *     sha256/
 *       <64 hex>     the bytes whose SHA-256 is <hex>: files, lockfiles and manifests alike
 *   staging/
 *     <upload id>/<n>  chunk n of an OCI upload whose digest is not known yet (deleted when the
 *                      upload completes, is cancelled or expires) — unless the upload's
 *                      chunks were adopted as a blob: then its pointer at blobs/sha256/<hex>
 *                      names them and they go with the blob (r2-adopted-blobs.ts)
 *   packs/
 *     pk_<id>          a chunk pack exactly as uploaded (header + chunks; services/chunks/)
 *
 * Nothing else is ever written under `blobs/`. Multipart uploads assemble directly at the blob's
 * own key (R2 has no server-side copy, and a second full write would double the cost of large
 * uploads); until the assembled bytes are verified, no D1 `blobs` row exists, so nothing serves
 * them (services/uploads/).
 */
import { type Digest, hexOf, isDigest } from '../contract/grammar';
import { toHex } from '../lib/digest';
import {
  type AssembleOutcome,
  type BlobBody,
  type BlobInfo,
  type BlobPage,
  type BlobStore,
  type ByteRange,
  type MultipartStore,
  PACK_ID_RE,
  type PackStore,
  type PartOutcome,
  type PutOutcome,
  STAGING_KEY_RE,
  type StagingStore,
  type UploadedPart,
} from './blob-store';
import {
  adoptedFrom,
  adoptedSegments,
  adoptedSize,
  adoptStaged,
  deleteAdoptedSegments,
  readSegments,
} from './r2-adopted-blobs';

const KEY_PREFIX = 'blobs/sha256/';
const STAGING_PREFIX = 'staging/';
const PACKS_PREFIX = 'packs/';
const CONTENT_TYPE = 'application/octet-stream';
/** R2 deletes at most 1,000 keys per call. */
const DELETE_BATCH = 1000;

export function blobKey(digest: Digest): string {
  return `${KEY_PREFIX}${hexOf(digest)}`;
}

/**
 * R2's error for a put whose bytes do not match the `sha256` option. Classified by R2's error
 * code first (10037, BadDigest: the code is stable, the sentence is not), then by its wording.
 */
function isChecksumMismatch(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return (
    /\(10037\)|BadDigest/.test(message) ||
    (/sha-?256|checksum|digest/i.test(message) && /match/i.test(message))
  );
}

/** R2's answer for a multipart upload it no longer knows (completed or aborted): 10024. */
function isNoSuchUpload(err: unknown): boolean {
  return /\(10024\)|NoSuchUpload|multipart upload does not exist|not ?found|does not exist/i.test(
    String(err),
  );
}

/** R2's answer when a named part is not the one it kept: 10025, InvalidPart. */
function isInvalidPart(err: unknown): boolean {
  return /\(10025\)|InvalidPart|parts could not be found/i.test(String(err));
}

/** True when R2 itself checked these bytes against the digest (a put with the `sha256` option). */
function vouchedFor(object: R2Object, digest: Digest): boolean {
  const sha = object.checksums.sha256;
  return sha !== undefined && toHex(sha) === hexOf(digest);
}

function stagingKey(key: string): string {
  if (!STAGING_KEY_RE.test(key)) throw new Error(`not a staging key: ${JSON.stringify(key)}`);
  return `${STAGING_PREFIX}${key}`;
}

export function packKey(id: string): string {
  if (!PACK_ID_RE.test(id)) throw new Error(`not a pack id: ${JSON.stringify(id)}`);
  return `${PACKS_PREFIX}${id}`;
}

export function r2BlobStore(bucket: R2Bucket): BlobStore {
  const packs: PackStore = {
    async put(id, body) {
      await bucket.put(packKey(id), body);
    },
    async get(id, range) {
      const object = await bucket.get(packKey(id), range ? { range } : undefined);
      return object?.body ?? null;
    },
    async delete(ids) {
      for (let i = 0; i < ids.length; i += DELETE_BATCH) {
        await bucket.delete(ids.slice(i, i + DELETE_BATCH).map(packKey));
      }
    },
  };

  const staging: StagingStore = {
    async put(key, body) {
      await bucket.put(stagingKey(key), body);
    },
    async get(key) {
      const object = await bucket.get(stagingKey(key));
      return object?.body ?? null;
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        await bucket.delete(keys.slice(i, i + DELETE_BATCH).map(stagingKey));
      }
    },
    adopt: (digest, keys) => adoptStaged(bucket, blobKey(digest), keys.map(stagingKey)),
    async release(digest, keys) {
      if (await adoptedFrom(bucket, blobKey(digest), keys.map(stagingKey))) return 'kept';
      await staging.delete(keys);
      return 'deleted';
    },
  };

  const multipart: MultipartStore = {
    async create(digest) {
      const upload = await bucket.createMultipartUpload(blobKey(digest), {
        httpMetadata: { contentType: CONTENT_TYPE },
      });
      return upload.uploadId;
    },

    async putPart(digest, uploadId, partNumber, body): Promise<PartOutcome> {
      try {
        const part = await bucket
          .resumeMultipartUpload(blobKey(digest), uploadId)
          .uploadPart(partNumber, body);
        return { ok: true, etag: part.etag };
      } catch (err) {
        if (isNoSuchUpload(err)) return { ok: false, reason: 'upload-unknown' };
        throw err;
      }
    },

    async assemble(digest, uploadId, parts: readonly UploadedPart[]): Promise<AssembleOutcome> {
      try {
        const object = await bucket
          .resumeMultipartUpload(blobKey(digest), uploadId)
          .complete(parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })));
        return { ok: true, size: object.size };
      } catch (err) {
        if (isInvalidPart(err)) return { ok: false, reason: 'parts-invalid' };
        if (isNoSuchUpload(err)) return { ok: false, reason: 'upload-unknown' };
        throw err;
      }
    },

    async abort(digest, uploadId) {
      try {
        await bucket.resumeMultipartUpload(blobKey(digest), uploadId).abort();
      } catch (err) {
        if (!isNoSuchUpload(err)) throw err;
      }
    },
  };

  return {
    async put(digest: Digest, body: BlobBody): Promise<PutOutcome> {
      try {
        const object = await bucket.put(blobKey(digest), body, {
          sha256: hexOf(digest),
          httpMetadata: { contentType: CONTENT_TYPE },
        });
        return { ok: true, size: object?.size ?? 0 };
      } catch (err) {
        if (isChecksumMismatch(err)) return { ok: false, reason: 'digest-mismatch' };
        throw err;
      }
    },

    async get(digest: Digest, range?: ByteRange) {
      const key = blobKey(digest);
      let object: R2ObjectBody | R2Object | null;
      try {
        object = await bucket.get(key, range ? { range } : undefined);
      } catch (err) {
        // A range of an adopted blob lies outside its (empty) pointer object: R2 may refuse it.
        const head = range ? await bucket.head(key) : null;
        if (!head || !adoptedSegments(head)) throw err;
        object = head;
      }
      if (!object) return null;
      const segments = adoptedSegments(object);
      if (segments) {
        if ('body' in object) await object.body.cancel();
        return {
          body: await readSegments(bucket, segments, range),
          size: adoptedSize(segments),
          verified: false,
        };
      }
      if (!('body' in object)) throw new Error(`blob ${digest}: no body`);
      return { body: object.body, size: object.size, verified: vouchedFor(object, digest) };
    },

    async head(digest: Digest): Promise<BlobInfo | null> {
      const object = await bucket.head(blobKey(digest));
      if (!object) return null;
      const segments = adoptedSegments(object);
      const size = segments ? adoptedSize(segments) : object.size;
      return { size, uploaded: object.uploaded, verified: vouchedFor(object, digest) };
    },

    async delete(digests: readonly Digest[]) {
      // An adopted blob's staged segments first: a pointer left by a failure is deleted on retry.
      await deleteAdoptedSegments(bucket, digests.map(blobKey));
      for (let i = 0; i < digests.length; i += DELETE_BATCH) {
        await bucket.delete(digests.slice(i, i + DELETE_BATCH).map(blobKey));
      }
    },

    async list(after: string, limit = 1000): Promise<BlobPage> {
      const page = await bucket.list({
        prefix: KEY_PREFIX,
        startAfter: `${KEY_PREFIX}${after}`,
        limit,
        include: ['customMetadata'],
      });
      const all = page.objects.map((o) => ({
        digest: `sha256:${o.key.slice(KEY_PREFIX.length)}` as Digest,
        size: ((segments) => (segments ? adoptedSize(segments) : o.size))(adoptedSegments(o)),
        uploaded: o.uploaded,
      }));
      const last = all.at(-1);
      return {
        blobs: all.filter((o) => isDigest(o.digest)),
        next: page.truncated && last ? hexOf(last.digest) : null,
      };
    },

    multipart,
    staging,
    packs,
  };
}

const stores = new WeakMap<R2Bucket, BlobStore>();

/** One store per bucket binding, reused across requests (like the Drizzle handle). */
export function r2BlobStoreOf(bucket: R2Bucket): BlobStore {
  let store = stores.get(bucket);
  if (!store) {
    store = r2BlobStore(bucket);
    stores.set(bucket, store);
  }
  return store;
}
