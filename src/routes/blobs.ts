/**
 * /v1/blobs: content-addressed bytes. PUT verifies the digest (R2 refuses a mismatch and keeps
 * nothing), GET/HEAD serve only blobs with a D1 row, POST /check says which digests are missing.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { blobResponse } from '../http/blob-response';
import { requireContentLength } from '../http/body-length';
import { NO_STORE } from '../http/caching';
import { requireScope } from '../middleware/auth';
import { blobBeingDeleted, findVisibleBlob, missingBlobs, storeBlob } from '../services/blobs';
import { digestSchema, validate } from '../validation';

const digestParam = validate('param', z.object({ digest: digestSchema }));
const MAX_CHECK = 1000;

export const blobRoutes = new Hono<AppEnv>()
  .put('/:digest', digestParam, requireScope('write'), async (c) => {
    const { digest } = c.req.valid('param');
    const length = requireContentLength(
      c.req.header('content-length'),
      c.var.config.maxSingleUploadBytes,
      'a blob upload',
    );
    const result = await storeBlob(c.var.db, c.env.BLOBS, digest, c.req.raw.body, length, c.var.principal);
    if (!result.ok && result.reason === 'being-deleted') throw blobBeingDeleted(digest);
    if (!result.ok && result.reason === 'assembly-in-progress') {
      throw new ApiError(
        'UPLOAD_IN_PROGRESS',
        `a multipart upload of ${digest} is being completed; retry shortly`,
        {
          digest,
        },
      );
    }
    if (!result.ok) {
      throw new ApiError(
        'DIGEST_MISMATCH',
        `the uploaded bytes do not hash to ${digest}; nothing was stored`,
        {
          digest,
        },
      );
    }
    return c.json({ digest, size: result.size }, result.created ? 201 : 200);
  })
  // Hono answers HEAD with this GET route; blobResponse skips the R2 read for HEAD.
  .get('/:digest', digestParam, requireScope('read'), async (c) => {
    const { digest } = c.req.valid('param');
    const blob = await findVisibleBlob(c.var.db, digest, c.var.principal);
    if (!blob) {
      throw new ApiError(
        'BLOB_UNKNOWN',
        `no blob ${digest}`,
        { digest },
        { headers: { 'Cache-Control': NO_STORE } },
      );
    }
    return blobResponse(c, blob);
  })
  .post(
    '/check',
    requireScope('read'),
    validate('json', z.object({ digests: z.array(digestSchema).max(MAX_CHECK) })),
    async (c) => {
      const { digests } = c.req.valid('json');
      return c.json({ missing: await missingBlobs(c.var.db, digests, c.var.principal) });
    },
  );
