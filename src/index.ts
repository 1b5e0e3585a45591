/**
 * Worker entry: the HTTP app, and the hourly cron: garbage collection (which also aborts expired
 * multipart uploads), old idempotency records, ended failed-auth windows, old audit events, the
 * OpenLineage outbox sweep and table profiles never enqueued; and the queue consumers (one switch
 * on the queue's name).
 */
import { createApp } from './app';
import { createDeps } from './deps';
import type { Bindings } from './env';
import { pruneAudit } from './services/audit';
import { sweepAuthFailures } from './services/auth-throttle';
import { collectGarbage } from './services/gc';
import { sweepIdempotencyKeys } from './services/idempotency';
import { deliverBatch, httpSink } from './services/openlineage/delivery';
import { type OutboxMessage, sweepOutbox } from './services/openlineage/outbox';

/** Queued rows with no attempt for this long lost their message (retry delays are capped at 1 h). */
const OUTBOX_STALE_MS = 3 * 3600_000;
const OUTBOX_SWEEP_ROWS = 1000;

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
        config.openlineage.url && deps.openlineageQueue
          ? sweepOutbox(deps, deps.openlineageQueue, { staleMs: OUTBOX_STALE_MS, maxRows: OUTBOX_SWEEP_ROWS })
          : null,
        deps.profiles ? sweepProfiles(deps, deps.profiles) : null,
      ]).then(([gc, , , auditPruned, openlineage, profiles]) =>
        console.log(
          JSON.stringify({
            cron: 'maintenance',
            gc: { blobs: gc.blobs.count, bytes: gc.blobs.bytes, orphans: gc.orphans.count },
            expiredUploads: gc.uploadsAborted,
            auditPruned,
            openlineage,
            profiles,
          }),
        ),
      ),
    );
  },
  /** One case per queue (wrangler.toml `[[queues.consumers]]`). */
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case 'cairn-openlineage': {
        const deps = createDeps(env);
        const { url, apiKey, timeoutMs } = deps.config.openlineage;
        const sink = url ? httpSink(url, apiKey, timeoutMs) : null;
        await deliverBatch(deps, batch as MessageBatch<OutboxMessage>, sink, deps.config.openlineage);
        return;
      }
      case 'cairn-profiles':
        await consumeProfiles(createDeps(env), batch as MessageBatch<ProfileMessage>);
        return;
      default:
        // A queue bound to this Worker without a consumer here: retry rather than drop its messages.
        console.error(JSON.stringify({ queue: batch.queue, error: 'no consumer for this queue' }));
        batch.retryAll();
    }
  },
} satisfies ExportedHandler<Bindings>;
