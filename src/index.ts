/**
 * Worker entry: the HTTP app, and the hourly cron: garbage collection (which also aborts expired
 * multipart uploads), old idempotency records, ended failed-auth windows and old audit events.
 */
import { createApp } from './app';
import { createDeps } from './deps';
import type { Bindings } from './env';
import { pruneAudit } from './services/audit';
import { sweepAuthFailures } from './services/auth-throttle';
import { collectGarbage } from './services/gc';
import { sweepIdempotencyKeys } from './services/idempotency';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    const deps = createDeps(env);
    const { config } = deps;
    ctx.waitUntil(
      Promise.all([
        collectGarbage(deps, { dryRun: false, graceMs: config.gcGraceMs, orphanPages: 5 }),
        sweepIdempotencyKeys(deps),
        sweepAuthFailures(deps, config.authFailureWindowMs),
        pruneAudit(deps, config.auditRetentionMs),
      ]).then(([gc, , , auditPruned]) =>
        console.log(
          JSON.stringify({
            cron: 'maintenance',
            gc: { blobs: gc.blobs.count, bytes: gc.blobs.bytes, orphans: gc.orphans.count },
            expiredUploads: gc.uploadsAborted,
            auditPruned,
          }),
        ),
      ),
    );
  },
} satisfies ExportedHandler<Bindings>;
