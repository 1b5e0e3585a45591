/**
 * GET /v1/manifests/{digest}: the exact manifest bytes, immutable forever (deployments pin this
 * URL, so it is the hottest read): served from the Worker cache after the first hit.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { manifestPath } from '../contract/urls';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { blobResponse } from '../http/blob-response';
import { NO_STORE } from '../http/caching';
import { withImmutableCache } from '../http/immutable-cache';
import { requireScope } from '../middleware/auth';
import { MANIFEST_MEDIA_TYPE } from '../services/manifest';
import { findManifest } from '../services/versions';
import { digestSchema, validate } from '../validation';

export const manifestRoutes = new Hono<AppEnv>().get(
  '/:digest',
  requireScope('read'),
  validate('param', z.object({ digest: digestSchema })),
  async (c) => {
    const { digest } = c.req.valid('param');
    return withImmutableCache(c, manifestPath(digest), async () => {
      const found = await findManifest(c.var.deps, digest, c.var.principal);
      if (!found) {
        throw new ApiError(
          'VERSION_UNKNOWN',
          `no manifest ${digest}`,
          { digest },
          { headers: { 'Cache-Control': NO_STORE } },
        );
      }
      return {
        response: await blobResponse(c, found.blob, { contentType: MANIFEST_MEDIA_TYPE }),
        namespace: found.namespace,
      };
    });
  },
);
