/** /v1/artifacts and /v1/artifacts/{ns}/{name}: list (by prefix, paginated) and detail. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { requireArtifact } from '../http/lookups';
import { requireScope } from '../middleware/auth';
import { artifactDetail, listArtifacts } from '../services/artifacts';
import { artifactParams, pageQuerySchema, validate } from '../validation';

const listQuery = pageQuerySchema.extend({
  prefix: z
    .string()
    .regex(/^[a-z0-9._/-]{0,129}$/, 'a prefix is the start of an ns/name')
    .optional(),
});

export const artifactRoutes = new Hono<AppEnv>()
  .get('/', requireScope('read'), validate('query', listQuery), async (c) => {
    const { prefix, limit, cursor } = c.req.valid('query');
    return c.json(await listArtifacts(c.var.deps, c.var.principal, { prefix, limit, after: cursor }));
  })
  .get('/:ns/:name', requireScope('read'), validate('param', artifactParams), async (c) => {
    const { ns, name } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    return c.json(await artifactDetail(c.var.deps, artifact));
  });
