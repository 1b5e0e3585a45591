/**
 * /v1/uploads: multipart uploads of large blobs (see services/uploads/ for the integrity story).
 * POST starts (or resumes) a session, PUT …/parts/{n} sends part n, GET shows progress,
 * POST …/complete assembles and verifies, DELETE aborts.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { R2_MAX_PARTS, R2_MIN_PART_SIZE } from '../config';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { blobBusy } from '../http/blob-errors';
import { requireContentLength } from '../http/body-length';
import { unreachable } from '../lib/unreachable';
import { requireScope } from '../middleware/auth';
import {
  abortUpload,
  type CompleteFailure,
  completeUpload,
  getUpload,
  type PartFailure,
  receivePart,
  type StartFailure,
  startUpload,
} from '../services/uploads';
import { digestSchema, validate } from '../validation';

const idParam = z.object({ id: z.string().regex(/^upl_[\w-]{1,64}$/, 'upload ids look like upl_…') });

const startSchema = z.object({
  digest: digestSchema,
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  partSize: z.number().int().min(R2_MIN_PART_SIZE).optional(),
});

type UploadFailure = StartFailure | PartFailure | CompleteFailure;

/** Every failure of an upload phase, as the API answers it. */
export function uploadFailure(failure: UploadFailure): ApiError {
  switch (failure.reason) {
    case 'too-large':
      return new ApiError(
        'BLOB_TOO_LARGE',
        `a blob of ${failure.size} bytes needs parts larger than the ${failure.maxPartSize}-byte request limit`,
        { size: failure.size, maxSize: failure.maxSize },
      );
    case 'plan-conflict':
      return new ApiError('UPLOAD_IN_PROGRESS', 'an upload of this digest with another plan is in progress', {
        uploadId: failure.uploadId,
        size: failure.size,
        partSize: failure.partSize,
      });
    case 'being-deleted':
      return blobBusy(failure.digest);
    case 'upload-unknown':
      return new ApiError(
        'UPLOAD_UNKNOWN',
        `no upload ${failure.uploadId} (never started, aborted or expired)`,
        {
          uploadId: failure.uploadId,
        },
      );
    case 'upload-expired':
      return new ApiError('UPLOAD_EXPIRED', `upload ${failure.uploadId} expired; start a new one`, {
        uploadId: failure.uploadId,
        ...(failure.cause ? { cause: failure.cause } : {}),
      });
    case 'upload-completing':
      return new ApiError(
        'UPLOAD_IN_PROGRESS',
        `upload ${failure.uploadId} is being completed; parts are closed and one completion runs at a time`,
        { uploadId: failure.uploadId },
      );
    case 'part-past-end':
      return new ApiError(
        'PART_INVALID',
        `part ${failure.partNumber} is past the last part (${failure.partCount})`,
        {
          partCount: failure.partCount,
        },
      );
    case 'part-size':
      return new ApiError(
        'SIZE_INVALID',
        `part ${failure.partNumber} must be ${failure.expected} bytes, got ${failure.got}`,
        { expected: failure.expected, got: failure.got },
      );
    case 'parts-missing':
      return new ApiError(
        'UPLOAD_INCOMPLETE',
        failure.lost
          ? 'storage lost track of parts sent twice at once; send every part again, then complete'
          : `${failure.missing.length} part(s) missing; send them, then complete`,
        { missing: failure.missing },
      );
    case 'digest-mismatch':
      return new ApiError(
        'DIGEST_MISMATCH',
        'the uploaded parts do not hash to the declared digest; nothing was stored',
        {
          digest: failure.digest,
        },
      );
    case 'possession-unproven':
      return new ApiError(
        'UPLOAD_INCOMPLETE',
        `${failure.digest} is stored, but not visible to this namespace-limited token; to prove you hold its bytes, start a new upload and send its parts in order (1, 2, 3, …), then complete`,
        { digest: failure.digest, reason: 'possession-unproven' },
      );
    default:
      return unreachable(failure);
  }
}

export const uploadRoutes = new Hono<AppEnv>()
  .use(requireScope('write'))
  .post('/', validate('json', startSchema), async (c) => {
    const input = c.req.valid('json');
    const { deps, principal } = c.var;
    if (input.partSize !== undefined && input.partSize > deps.config.maxSingleUploadBytes) {
      throw new ApiError(
        'SIZE_INVALID',
        `partSize must be at most ${deps.config.maxSingleUploadBytes} bytes`,
      );
    }
    const result = await startUpload(deps, input, principal!);
    if (!result.ok) throw uploadFailure(result);
    if (result.kind === 'exists')
      return c.json({ digest: result.digest, size: result.size, exists: true }, 200);
    const resumed = result.kind === 'resumed';
    return c.json({ ...result.upload, exists: false, resumed }, resumed ? 200 : 201);
  })
  .get('/:id', validate('param', idParam), async (c) => {
    const result = await getUpload(c.var.deps, c.req.valid('param').id);
    if (!result.ok) throw uploadFailure(result);
    return c.json(result.upload);
  })
  .put(
    '/:id/parts/:n',
    validate('param', idParam.extend({ n: z.coerce.number().int().min(1).max(R2_MAX_PARTS) })),
    async (c) => {
      const { id, n } = c.req.valid('param');
      const { deps } = c.var;
      const length = requireContentLength(
        c.req.header('content-length'),
        deps.config.maxSingleUploadBytes,
        'a part',
      );
      const result = await receivePart(deps, id, n, c.req.raw.body, length);
      if (!result.ok) throw uploadFailure(result);
      return c.json(result.receipt);
    },
  )
  .post('/:id/complete', validate('param', idParam), async (c) => {
    const result = await completeUpload(c.var.deps, c.req.valid('param').id, c.var.principal!);
    if (!result.ok) throw uploadFailure(result);
    return c.json({ digest: result.digest, size: result.size }, result.created ? 201 : 200);
  })
  .delete('/:id', validate('param', idParam), async (c) => {
    const result = await abortUpload(c.var.deps, c.req.valid('param').id);
    if (!result.ok) throw uploadFailure(result);
    return c.body(null, 204);
  });
