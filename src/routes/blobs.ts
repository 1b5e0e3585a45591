/**
 * /v1/blobs: content-addressed bytes. PUT verifies the digest (the store refuses a mismatch and
 * keeps nothing), GET/HEAD serve only visible blobs, POST /check says which digests are missing.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Digest } from '../contract/grammar';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { blobBusy } from '../http/blob-errors';
import { visibleBlobResponse } from '../http/blob-response';
import { requireContentLength } from '../http/body-length';
import { NO_STORE } from '../http/caching';
import { unreachable } from '../lib/unreachable';
import { requireScope } from '../middleware/auth';
import { missingBlobs, type StoreFailure, storeBlob } from '../services/blobs';
import { digestSchema, validate } from '../validation';

const digestParam = validate('param', z.object({ digest: digestSchema }));
const MAX_CHECK = 1000;

export function storeFailure(digest: Digest, failure: StoreFailure): ApiError {
  switch (failure.reason) {
    case 'digest-mismatch':
      return new ApiError(
        'DIGEST_MISMATCH',
        `the uploaded bytes do not hash to ${digest}; nothing was stored`,
        {
          digest,
        },
      );
    case 'size-mismatch':
      return new ApiError(
        'SIZE_MISMATCH',
        `${digest} is stored with ${failure.storedSize} bytes; a body of another length cannot be its bytes`,
        { digest, storedSize: failure.storedSize },
      );
    case 'assembly-in-progress':
      return new ApiError(
        'UPLOAD_IN_PROGRESS',
        `a multipart upload of ${digest} is being completed; retry shortly`,
        {
          digest,
        },
      );
    case 'being-deleted':
      return blobBusy(digest);
    default:
      return unreachable(failure);
  }
}

export const unknownBlob = (digest: Digest) =>
  new ApiError('BLOB_UNKNOWN', `no blob ${digest}`, { digest }, { headers: { 'Cache-Control': NO_STORE } });

export const blobRoutes = new Hono<AppEnv>()
  .put('/:digest', digestParam, requireScope('write'), async (c) => {
    const { digest } = c.req.valid('param');
    const { deps, principal } = c.var;
    const length = requireContentLength(
      c.req.header('content-length'),
      deps.config.maxSingleUploadBytes,
      'a blob upload',
    );
    const result = await storeBlob(deps, digest, c.req.raw.body, length, principal);
    if (!result.ok) throw storeFailure(digest, result);
    return c.json({ digest, size: result.size }, result.created ? 201 : 200);
  })
  // Hono answers HEAD with this GET route; blobResponse skips the byte read for HEAD.
  .get('/:digest', digestParam, requireScope('read'), async (c) => {
    const { digest } = c.req.valid('param');
    const res = await visibleBlobResponse(c, digest);
    if (!res) throw unknownBlob(digest);
    return res;
  })
  .post(
    '/check',
    requireScope('read'),
    validate('json', z.object({ digests: z.array(digestSchema).max(MAX_CHECK) })),
    async (c) => {
      const { digests } = c.req.valid('json');
      return c.json({ missing: await missingBlobs(c.var.deps, digests, c.var.principal) });
    },
  );
