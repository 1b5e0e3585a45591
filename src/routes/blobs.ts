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
import { blobResponse, fullBlobResponse } from '../http/blob-response';
import { requireContentLength } from '../http/body-length';
import { NO_STORE } from '../http/caching';
import { unreachable } from '../lib/unreachable';
import { requireScope } from '../middleware/auth';
import { findBlob, findVisibleBlob, missingBlobs, type StoreFailure, storeBlob } from '../services/blobs';
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

const unknownBlob = (digest: Digest) =>
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
    const { deps, principal } = c.var;
    const plainGet =
      c.req.method === 'GET' &&
      !c.req.header('range') &&
      !c.req.header('if-none-match') &&
      !principal?.namespaces;
    if (plainGet) {
      // The hot path, for a caller that may see every blob: one read, no D1 round trip when the
      // store itself vouches for the bytes (a verified put: they hash to the digest). Bytes it
      // does not vouch for (a multipart assembly) are served only once D1 says they were verified.
      const read = await deps.blobs.get(digest);
      if (read?.verified || (read && (await findBlob(deps, digest)))) return fullBlobResponse(digest, read);
      await read?.body.cancel();
      throw unknownBlob(digest);
    }
    const blob = await findVisibleBlob(deps, digest, principal);
    if (!blob) throw unknownBlob(digest);
    return blobResponse(c, blob);
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
