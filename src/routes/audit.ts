/** GET /v1/audit (admin): the audit log, newest first, filterable by artifact, actor and outcome. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { requireScope } from '../middleware/auth';
import { listAudit } from '../services/audit';
import { pageQuerySchema, segmentSchema, validate } from '../validation';

const auditQuery = pageQuerySchema.extend({
  artifact: z
    .string()
    .refine((v) => {
      const [ns, name, ...rest] = v.split('/');
      return (
        rest.length === 0 && segmentSchema.safeParse(ns).success && segmentSchema.safeParse(name).success
      );
    }, 'artifact is ns/name')
    .optional(),
  /** A principal id: `tok_…`, or `admin`. */
  actor: z.string().min(1).max(64).optional(),
  outcome: z.enum(['ok', 'denied', 'failed']).optional(),
});

export const auditRoutes = new Hono<AppEnv>().get(
  '/',
  requireScope('admin'),
  validate('query', auditQuery),
  async (c) => {
    const { limit, cursor, ...filter } = c.req.valid('query');
    return c.json(await listAudit(c.var.deps, filter, limit, cursor));
  },
);
