/**
 * After a successful write under /v1/artifacts (publish, tag move or delete), hands the outbox's
 * pending OpenLineage events to the queue in `waitUntil`: the response never waits for it, and a
 * failed hand-off only leaves rows `pending` for the next write or the hourly cron
 * (services/openlineage/outbox.ts). Nothing to do when OPENLINEAGE_URL is unset: the events are
 * in the pull feed either way.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { handOff } from '../services/openlineage/outbox';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function openlineageHandOff() {
  return createMiddleware<AppEnv>(async function openlineageHandOff(c, next) {
    await next();
    if (READS.has(c.req.method) || c.res.status >= 300) return;
    const { deps } = c.var;
    const queue = deps.openlineageQueue;
    if (!deps.config.openlineage.url || !queue) return;
    const handed = handOff(deps, queue).catch((err: unknown) =>
      console.error(JSON.stringify({ openlineage: 'hand-off failed', error: String(err) })),
    );
    try {
      c.executionCtx.waitUntil(handed);
    } catch {
      // No execution context (an embedding without one): the promise still runs; the cron covers it.
    }
  });
}
