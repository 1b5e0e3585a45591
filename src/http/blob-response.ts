/**
 * The one way bytes leave the registry (blob GET, files by path, manifests, Git LFS downloads):
 * immutable caching, ETag of the digest, single Range → 206, and always a Content-Type (without
 * one the local dev server gzips responses on the fly, which made downloads several times slower).
 */
import type { Context } from 'hono';
import type { Digest } from '../contract/grammar';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { parseRange } from '../lib/range';
import { findBlob, findVisibleBlob } from '../services/blobs';
import type { BlobRead } from '../storage/blob-store';
import { etagOf, IMMUTABLE, notModified } from './caching';

export const BLOB_CONTENT_TYPE = 'application/octet-stream';

export interface BlobResponseOptions {
  contentType?: string;
}

function baseHeaders(digest: Digest, options: BlobResponseOptions): Headers {
  return new Headers({
    'Content-Type': options.contentType ?? BLOB_CONTENT_TYPE,
    ETag: etagOf(digest),
    'Cache-Control': IMMUTABLE,
    'Accept-Ranges': 'bytes',
  });
}

/** The whole blob from bytes already being read (the caller decided they may be served). */
export function fullBlobResponse(
  digest: Digest,
  read: BlobRead,
  options: BlobResponseOptions = {},
): Response {
  const headers = baseHeaders(digest, options);
  headers.set('Content-Length', String(read.size));
  return new Response(read.body, { status: 200, headers });
}

/** A visible blob of known size: 304, 206 for a single range, 416, HEAD without a read, or 200. */
export async function blobResponse(
  c: Context<AppEnv>,
  blob: { digest: string; size: number },
  options: BlobResponseOptions = {},
): Promise<Response> {
  const digest = blob.digest as Digest;
  const headers = baseHeaders(digest, options);
  if (notModified(c.req.header('if-none-match'), etagOf(digest))) {
    return new Response(null, { status: 304, headers });
  }

  const range = parseRange(c.req.header('range'), blob.size);
  if (range.kind === 'unsatisfiable') {
    throw new ApiError(
      'RANGE_NOT_SATISFIABLE',
      `the range is outside the blob's ${blob.size} bytes`,
      { size: blob.size },
      { headers: { 'Content-Range': `bytes */${blob.size}` } },
    );
  }
  const status = range.kind === 'range' ? 206 : 200;
  const length = range.kind === 'range' ? range.length : blob.size;
  headers.set('Content-Length', String(length));
  if (range.kind === 'range') {
    headers.set('Content-Range', `bytes ${range.offset}-${range.offset + range.length - 1}/${blob.size}`);
  }
  if (c.req.method === 'HEAD') return new Response(null, { status, headers });

  const read = await c.var.deps.blobs.get(
    digest,
    range.kind === 'range' ? { offset: range.offset, length: range.length } : undefined,
  );
  // A row without bytes breaks the storage invariant; say so loudly rather than serve nothing.
  if (!read) throw new Error(`blob ${digest} has a D1 row but no stored bytes`);
  return new Response(read.body, { status, headers });
}

/**
 * A blob as the caller may see it (GET and HEAD, /v1 and /v2 alike), or null when it is not
 * visible. The hot path, for a caller that may see every blob: one read, no D1 round trip when the
 * store itself vouches for the bytes (a verified put: they hash to the digest). Bytes it does not
 * vouch for (a multipart assembly) are served only once D1 says they were verified.
 */
export async function visibleBlobResponse(c: Context<AppEnv>, digest: Digest): Promise<Response | null> {
  const { deps, principal } = c.var;
  const plainGet =
    c.req.method === 'GET' &&
    !c.req.header('range') &&
    !c.req.header('if-none-match') &&
    !principal?.namespaces;
  if (plainGet) {
    const read = await deps.blobs.get(digest);
    if (read?.verified || (read && (await findBlob(deps, digest)))) return fullBlobResponse(digest, read);
    await read?.body.cancel();
    return null;
  }
  const blob = await findVisibleBlob(deps, digest, principal);
  return blob ? blobResponse(c, blob) : null;
}
