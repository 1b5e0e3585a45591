/**
 * /v1/openlineage: the pull feed of OpenLineage events (read scope; a namespace-limited token sees
 * only events of its namespaces), the delivery log of the push to OPENLINEAGE_URL (admin: where
 * dead letters show), and the JSON Schema of Cairn's custom facets (public, like any schema).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { OPENLINEAGE_STATUSES } from '../db/schema';
import type { AppEnv } from '../env';
import { NO_CACHE } from '../http/caching';
import { requireScope } from '../middleware/auth';
import { facetsSchema } from '../services/openlineage/facets-schema';
import { listDeliveries, listEvents } from '../services/openlineage/feed';
import { validate } from '../validation';

const feedQuery = z
  .object({
    limit: z
      .string()
      .regex(/^\d{1,3}$/, 'limit is a whole number')
      .transform(Number)
      .pipe(z.number().min(1).max(500, 'limit is at most 500'))
      .default(100),
    /** The `nextCursor` of the previous page; absent: from the first event. */
    after: z.string().min(1).max(512).optional(),
  })
  .strict();

const deliveriesQuery = feedQuery.extend({ status: z.enum(OPENLINEAGE_STATUSES).optional() }).strict();

export const openlineageRoutes = new Hono<AppEnv>()
  .get('/events', requireScope('read'), validate('query', feedQuery), async (c) => {
    const { limit, after } = c.req.valid('query');
    const page = await listEvents(c.var.deps, c.var.principal, limit, after);
    return c.json(page, 200, { 'Cache-Control': NO_CACHE });
  })
  .get('/deliveries', requireScope('admin'), validate('query', deliveriesQuery), async (c) => {
    const { limit, after, status } = c.req.valid('query');
    return c.json(await listDeliveries(c.var.deps, status, limit, after), 200, { 'Cache-Control': NO_CACHE });
  })
  .get('/facets.json', (c) =>
    c.json(facetsSchema(`${new URL(c.req.url).origin}/v1/openlineage/facets.json`), 200, {
      'Cache-Control': 'public, max-age=3600',
    }),
  );
