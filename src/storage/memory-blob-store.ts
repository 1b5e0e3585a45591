/**
 * A BlobStore in memory, with R2's semantics (verified puts, unverified multipart assembly, a
 * random etag per part write, parts checked by etag on assembly). For tests and tools; it holds
 * every byte in memory, so it is no place for large blobs.
 */
import { type Digest, hexOf } from '../contract/grammar';
import { sha256Hex } from '../lib/digest';
import {
  type BlobBody,
  type BlobStore,
  type ByteRange,
  type MultipartStore,
  PACK_ID_RE,
  STAGING_KEY_RE,
  type StoredBlob,
} from './blob-store';

interface Entry {
  bytes: Uint8Array;
  uploaded: Date;
  verified: boolean;
  /** The staged keys it was adopted from (joined with ','), as R2's pointer names them. */
  adoptedFrom?: string;
}

interface Upload {
  digest: Digest;
  parts: Map<number, { etag: string; bytes: Uint8Array }>;
}

async function bytesOf(body: BlobBody): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body.slice();
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes]).stream();
}

const randomId = () => crypto.randomUUID();

export function memoryBlobStore(): BlobStore {
  const entries = new Map<string, Entry>();
  const uploads = new Map<string, Upload>();
  const staged = new Map<string, Uint8Array>();
  const packed = new Map<string, Uint8Array>();

  const multipart: MultipartStore = {
    async create(digest) {
      const id = randomId();
      uploads.set(id, { digest, parts: new Map() });
      return id;
    },

    async putPart(digest, uploadId, partNumber, body) {
      const bytes = await bytesOf(body);
      const upload = uploads.get(uploadId);
      if (!upload || upload.digest !== digest) return { ok: false, reason: 'upload-unknown' };
      const etag = randomId();
      upload.parts.set(partNumber, { etag, bytes });
      return { ok: true, etag };
    },

    async assemble(digest, uploadId, parts) {
      const upload = uploads.get(uploadId);
      if (!upload || upload.digest !== digest) return { ok: false, reason: 'upload-unknown' };
      const chosen = parts.map((p) => upload.parts.get(p.partNumber));
      if (chosen.some((part, k) => part?.etag !== parts[k]?.etag))
        return { ok: false, reason: 'parts-invalid' };
      const size = chosen.reduce((sum, part) => sum + part!.bytes.byteLength, 0);
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const part of chosen) {
        bytes.set(part!.bytes, offset);
        offset += part!.bytes.byteLength;
      }
      uploads.delete(uploadId);
      entries.set(hexOf(digest), { bytes, uploaded: new Date(), verified: false });
      return { ok: true, size };
    },

    async abort(_digest, uploadId) {
      uploads.delete(uploadId);
    },
  };

  return {
    async put(digest, body) {
      const bytes = await bytesOf(body);
      if ((await sha256Hex(bytes)) !== hexOf(digest)) return { ok: false, reason: 'digest-mismatch' };
      entries.set(hexOf(digest), { bytes, uploaded: new Date(), verified: true });
      return { ok: true, size: bytes.byteLength };
    },

    async get(digest, range?: ByteRange) {
      const entry = entries.get(hexOf(digest));
      if (!entry) return null;
      const bytes = range ? entry.bytes.subarray(range.offset, range.offset + range.length) : entry.bytes;
      return { body: streamOf(bytes), size: entry.bytes.byteLength, verified: entry.verified };
    },

    async head(digest) {
      const entry = entries.get(hexOf(digest));
      return entry
        ? { size: entry.bytes.byteLength, uploaded: entry.uploaded, verified: entry.verified }
        : null;
    },

    async delete(digests) {
      for (const digest of digests) entries.delete(hexOf(digest));
    },

    async list(after, limit = 1000) {
      const keys = [...entries.keys()].filter((hex) => hex > after).sort();
      const page = keys.slice(0, limit);
      const blobs: StoredBlob[] = page.map((hex) => {
        const entry = entries.get(hex)!;
        return { digest: `sha256:${hex}`, size: entry.bytes.byteLength, uploaded: entry.uploaded };
      });
      return { blobs, next: keys.length > limit ? page.at(-1)! : null };
    },

    multipart,
    staging: {
      async put(key, body) {
        if (!STAGING_KEY_RE.test(key)) throw new Error(`not a staging key: ${JSON.stringify(key)}`);
        staged.set(key, await bytesOf(body));
      },
      async get(key) {
        const bytes = staged.get(key);
        return bytes ? streamOf(bytes) : null;
      },
      async delete(keys) {
        for (const key of keys) staged.delete(key);
      },
      // In memory, adopting is moving: the staged bytes become the entry (unverified) and leave
      // staging, so a caller that deleted them afterwards would change nothing either way.
      async adopt(digest, keys) {
        const parts = keys.map((key) => staged.get(key));
        if (parts.some((p) => !p)) return { ok: false, reason: 'staging-missing' };
        const bytes = new Uint8Array(await new Blob(parts as Uint8Array[]).arrayBuffer());
        for (const key of keys) staged.delete(key);
        entries.set(hexOf(digest), {
          bytes,
          uploaded: new Date(),
          verified: false,
          adoptedFrom: keys.join(','),
        });
        return { ok: true, size: bytes.byteLength };
      },
      async release(digest, keys) {
        if (entries.get(hexOf(digest))?.adoptedFrom === keys.join(',')) return 'kept';
        for (const key of keys) staged.delete(key);
        return 'deleted';
      },
    },
    packs: {
      async put(id, body) {
        if (!PACK_ID_RE.test(id)) throw new Error(`not a pack id: ${JSON.stringify(id)}`);
        packed.set(id, await bytesOf(body));
      },
      async get(id, range) {
        const bytes = packed.get(id);
        if (!bytes) return null;
        return streamOf(range ? bytes.subarray(range.offset, range.offset + range.length) : bytes);
      },
      async delete(ids) {
        for (const id of ids) packed.delete(id);
      },
    },
  };
}
