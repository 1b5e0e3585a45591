/**
 * Worker entry: the HTTP app, and the hourly cron: garbage collection (which also aborts expired
 * multipart uploads), old idempotency records, ended failed-auth windows and old audit events.
 */
import { createApp } from './app';
import { readConfig } from './config';
import { createDb } from './db/client';
import type { Bindings } from './env';
import { pruneAudit } from './services/audit';
import { sweepAuthFailures } from './services/auth-throttle';
import { collectGarbage } from './services/gc';
import { sweepIdempotencyKeys } from './services/idempotency';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    const db = createDb(env.DB);
    const config = readConfig(env);
    ctx.waitUntil(
      Promise.all([
        collectGarbage(db, env.BLOBS, { dryRun: false, graceMs: config.gcGraceMs, orphanPages: 5 }),
        sweepIdempotencyKeys(db),
        sweepAuthFailures(db, config.authFailureWindowMs),
        pruneAudit(db, config.auditRetentionMs),
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
