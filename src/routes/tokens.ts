/** /v1/tokens (admin): issue, list and revoke API tokens. The secret appears once, in the 201. */
import { Hono } from 'hono';
import { z } from 'zod';
import { SCOPES } from '../db/schema';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { requireScope } from '../middleware/auth';
import { createToken, deleteToken, listTokens } from '../services/tokens';
import { pageQuerySchema, segmentSchema, validate } from '../validation';

const newTokenSchema = z.object({
  name: z.string().trim().min(1).max(64),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
  namespaces: z.array(segmentSchema).min(1).max(100).optional(),
  expiresAt: z.iso
    .datetime({ offset: true })
    .transform((s) => Date.parse(s))
    .refine((ms) => ms > Date.now(), 'expiresAt must be in the future')
    .optional(),
});

export const tokenRoutes = new Hono<AppEnv>()
  .use(requireScope('admin'))
  .post('/', validate('json', newTokenSchema), async (c) => {
    const created = await createToken(c.var.deps, c.req.valid('json'), c.var.principal!.id);
    return c.json(created, 201);
  })
  .get('/', validate('query', pageQuerySchema), async (c) => {
    const { limit, cursor } = c.req.valid('query');
    return c.json(await listTokens(c.var.deps, limit, cursor));
  })
  .delete('/:id', validate('param', z.object({ id: z.string().max(64) })), async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deleteToken(c.var.deps, id))) throw new ApiError('TOKEN_UNKNOWN', `no token ${id}`);
    return c.body(null, 204);
  });
