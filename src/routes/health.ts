/** GET /v1/health: liveness plus a cheap D1 round trip, so a broken binding shows up here. */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../env';

export const healthRoutes = new Hono<AppEnv>().get('/health', async (c) => {
  await c.var.deps.db.run(sql`select 1`);
  return c.json({ status: 'ok', service: 'cairn', apiVersion: 'v1' });
});
