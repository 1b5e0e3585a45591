/**
 * GET /v1/diff?from={ref}&to={ref}: the pillar-by-pillar comparison of two versions (see
 * services/diff). Both refs must resolve. Never cached as immutable: tag refs move, and metric
 * annotations can be appended to any version.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { NO_CACHE } from '../http/caching';
import { requireResolved } from '../http/refs';
import { requireScope } from '../middleware/auth';
import { diffVersions } from '../services/diff';
import { refSchema, validate } from '../validation';

export const diffRoutes = new Hono<AppEnv>().get(
  '/diff',
  requireScope('read'),
  validate('query', z.object({ from: refSchema, to: refSchema })),
  async (c) => {
    const { from, to } = c.req.valid('query');
    const [a, b] = await Promise.all([requireResolved(c, from), requireResolved(c, to)]);
    const diff = await diffVersions(c.var.deps, a, b);
    c.header('Cache-Control', NO_CACHE);
    return c.json(diff);
  },
);
