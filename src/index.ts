/**
 * Worker entry: the HTTP app, and the hourly cron: garbage collection (which also aborts expired
 * multipart uploads), old idempotency records, ended failed-auth windows, old audit events and
 * table profiles never enqueued; and the queue consumers (table profiles).
 */
import { createApp } from './app';
import { createDeps } from './deps';
import type { Bindings } from './env';
import { pruneAudit } from './services/audit';
import { sweepAuthFailures } from './services/auth-throttle';
import { collectGarbage } from './services/gc';
import { sweepIdempotencyKeys } from './services/idempotency';
import { consumeProfiles, type ProfileMessage, sweepProfiles } from './services/tables/queue';

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
        deps.profiles ? sweepProfiles(deps, deps.profiles) : null,
      ]).then(([gc, , , auditPruned, profiles]) =>
        console.log(
          JSON.stringify({
            cron: 'maintenance',
            gc: { blobs: gc.blobs.count, bytes: gc.blobs.bytes, orphans: gc.orphans.count },
            expiredUploads: gc.uploadsAborted,
            auditPruned,
            profiles,
          }),
        ),
      ),
    );
  },
  /** One case per queue (wrangler.toml `[[queues.consumers]]`). */
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case 'cairn-profiles':
        await consumeProfiles(createDeps(env), batch as MessageBatch<ProfileMessage>);
        return;
      default:
        console.error(JSON.stringify({ queue: batch.queue, error: 'no consumer for this queue' }));
        batch.retryAll();
    }
  },
} satisfies ExportedHandler<Bindings>;
