/**
 * /v1/uploads: multipart uploads of large blobs (see services/uploads.ts for the integrity story).
 * POST starts (or resumes) a session, PUT …/parts/{n} sends part n, GET shows progress,
 * POST …/complete assembles and verifies, DELETE aborts.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { R2_MAX_PARTS, R2_MIN_PART_SIZE } from '../config';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { requireContentLength } from '../http/body-length';
import { requireScope } from '../middleware/auth';
import {
  abortUpload,
  completeUpload,
  getUpload,
  receivePart,
  startUpload,
  type UploadDeps,
} from '../services/uploads';
import { digestSchema, validate } from '../validation';

const idParam = z.object({ id: z.string().regex(/^upl_[\w-]{1,64}$/, 'upload ids look like upl_…') });

const startSchema = z.object({
  digest: digestSchema,
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  partSize: z.number().int().min(R2_MIN_PART_SIZE).optional(),
});

function deps(c: Context<AppEnv>): UploadDeps {
  return { db: c.var.db, bucket: c.env.BLOBS };
}

export const uploadRoutes = new Hono<AppEnv>()
  .use(requireScope('write'))
  .post('/', validate('json', startSchema), async (c) => {
    const input = c.req.valid('json');
    const { config } = c.var;
    if (input.partSize !== undefined && input.partSize > config.maxSingleUploadBytes) {
      throw new ApiError('SIZE_INVALID', `partSize must be at most ${config.maxSingleUploadBytes} bytes`);
    }
    const result = await startUpload(
      deps(c),
      {
        partSize: config.uploadPartSize,
        maxPartSize: config.maxSingleUploadBytes,
        ttlMs: config.uploadTtlMs,
      },
      input,
      c.var.principal!,
    );
    if (result.kind === 'exists')
      return c.json({ digest: result.digest, size: result.size, exists: true }, 200);
    const resumed = result.kind === 'resumed';
    return c.json({ ...result.upload, resumed }, resumed ? 200 : 201);
  })
  .get('/:id', validate('param', idParam), async (c) => {
    return c.json(await getUpload(deps(c), c.req.valid('param').id));
  })
  .put(
    '/:id/parts/:n',
    validate(
      'param',
      idParam.extend({
        n: z.coerce.number().int().min(1).max(R2_MAX_PARTS),
      }),
    ),
    async (c) => {
      const { id, n } = c.req.valid('param');
      const length = requireContentLength(
        c.req.header('content-length'),
        c.var.config.maxSingleUploadBytes,
        'a part',
      );
      return c.json(await receivePart(deps(c), id, n, c.req.raw.body, length));
    },
  )
  .post('/:id/complete', validate('param', idParam), async (c) => {
    const result = await completeUpload(deps(c), c.req.valid('param').id, c.var.principal!);
    if (!result.ok) {
      throw new ApiError(
        'DIGEST_MISMATCH',
        'the uploaded parts do not hash to the declared digest; nothing was stored',
      );
    }
    return c.json({ digest: result.digest, size: result.size }, result.created ? 201 : 200);
  })
  .delete('/:id', validate('param', idParam), async (c) => {
    await abortUpload(deps(c), c.req.valid('param').id);
    return c.body(null, 204);
  });
