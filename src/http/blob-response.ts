/**
 * The one way bytes leave the registry (blob GET, files by path, Git LFS downloads): immutable
 * caching, ETag of the digest, single Range → 206, and always a Content-Type (without one the
 * local dev server gzips responses on the fly, which made downloads several times slower).
 */
import type { Context } from 'hono';
import type { Digest } from '../contract/grammar';
import type { BlobRow } from '../db/schema';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { parseRange } from '../lib/range';
import { BLOB_CONTENT_TYPE, getBlob } from '../storage/blob-store';
import { etagOf, IMMUTABLE, notModified } from './caching';

export async function blobResponse(
  c: Context<AppEnv>,
  blob: BlobRow,
  options: { contentType?: string } = {},
): Promise<Response> {
  const digest = blob.digest as Digest;
  const etag = etagOf(digest);
  const headers = new Headers({
    'Content-Type': options.contentType ?? BLOB_CONTENT_TYPE,
    ETag: etag,
    'Cache-Control': IMMUTABLE,
    'Accept-Ranges': 'bytes',
  });
  if (notModified(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });

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

  const object = await getBlob(
    c.env.BLOBS,
    digest,
    range.kind === 'range' ? { offset: range.offset, length: range.length } : undefined,
  );
  // A row without bytes breaks docs/DESIGN.md invariant 2; say so loudly rather than serve an empty body.
  if (!object) throw new Error(`blob ${digest} has a D1 row but no R2 object`);
  return new Response(object.body, { status, headers });
}
