/**
 * GET /v1/lineage/{ref}: the versions upstream and/or downstream of one version, as JSON,
 * Mermaid or DOT. GET /v1/impact/{ref}: the downstream versions a protected tag points to now.
 * The ref is the rest of the path, read as resolve reads it (`ns/name:tag`, `ns/name@n`,
 * `ns/name@sha256:…`). Both answers follow tags, so they are revalidated (`no-cache`).
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { NO_CACHE } from '../http/caching';
import { refFromPath, requireResolved } from '../http/refs';
import { toDot, toMermaid } from '../lib/graph-text';
import { requireScope } from '../middleware/auth';
import { DEFAULT_DEPTH, DIRECTIONS, impact, lineage, MAX_DEPTH } from '../services/lineage';
import { validate } from '../validation';

const lineageQuery = z.object({
  direction: z.enum(DIRECTIONS).default('up'),
  // Digits only: `z.coerce` would read `depth=` as 0.
  depth: z
    .string()
    .regex(/^\d{1,3}$/, 'depth is a whole number')
    .transform(Number)
    .pipe(z.number().max(MAX_DEPTH, `depth is at most ${MAX_DEPTH}`))
    .default(DEFAULT_DEPTH),
  format: z.enum(['json', 'mermaid', 'dot']).default('json'),
});

/** The version named by the path after `prefix`. */
async function resolvePathRef(c: Context<AppEnv>, prefix: string) {
  return (await requireResolved(c, refFromPath(c, prefix))).version;
}

export const lineageRoutes = new Hono<AppEnv>()
  .get('/lineage/*', requireScope('read'), validate('query', lineageQuery), async (c) => {
    const { direction, depth, format } = c.req.valid('query');
    const root = await resolvePathRef(c, '/v1/lineage/');
    const graph = await lineage(c.var.deps, root, { direction, depth }, c.var.principal);
    const headers = { 'Cache-Control': NO_CACHE };
    switch (format) {
      case 'json':
        return c.json(graph, 200, headers);
      case 'mermaid':
        return c.body(toMermaid(graph), 200, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      case 'dot':
        return c.body(toDot(graph), 200, { ...headers, 'Content-Type': 'text/vnd.graphviz; charset=utf-8' });
    }
  })
  .get('/impact/*', requireScope('read'), async (c) => {
    const root = await resolvePathRef(c, '/v1/impact/');
    const result = await impact(c.var.deps, root, c.var.deps.config.protectedTags, c.var.principal);
    return c.json(result, 200, { 'Cache-Control': NO_CACHE });
  });
