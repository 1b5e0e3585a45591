/**
 * The `cairn-openlineage` queue consumer: POSTs each outbox event to OPENLINEAGE_URL (the
 * OpenLineage HTTP transport: one RunEvent per request, JSON, optional Bearer key) and records
 * the outcome on the row. A failure (non-2xx, network error, timeout) is retried by the queue
 * with exponential backoff (`retry({ delaySeconds })`); after the last attempt the row becomes
 * `dead`: a dead-letter record admins list at GET /v1/openlineage/deliveries?status=dead, while
 * the event stays in the pull feed like any other.
 */
import { eq, sql } from 'drizzle-orm';
import { openlineageEvents } from '../../db/schema';
import type { Deps } from '../../deps';
import type { OutboxMessage } from './outbox';

export type SinkOutcome = { ok: true } | { ok: false; error: string };

/** Where events go: the HTTP sink in production (httpSink). */
export type Sink = (eventJson: string) => Promise<SinkOutcome>;

export interface DeliveryPolicy {
  maxAttempts: number;
  /** First retry delay; doubles per attempt, capped at `maxDelaySeconds`. */
  retryBaseSeconds: number;
  maxDelaySeconds: number;
}

export function httpSink(url: string, apiKey: string | undefined, timeoutMs: number): Sink {
  return async function postEvent(eventJson) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}),
        },
        body: eventJson,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Drain the body so the connection is released; its content is not ours to interpret.
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? { ok: true } : { ok: false, error: `HTTP ${res.status}` };
    } catch (err) {
      const name = (err as Error)?.name;
      return { ok: false, error: name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : String(err) };
    }
  };
}

export function retryDelaySeconds(policy: DeliveryPolicy, attempts: number): number {
  return Math.min(policy.retryBaseSeconds * 2 ** Math.max(0, attempts - 1), policy.maxDelaySeconds);
}

/**
 * Delivers one batch. `sink` null (OPENLINEAGE_URL unset since the hand-off): rows go back to
 * `pending`, so setting the URL later still delivers them. Attempts are counted on the row, not
 * the message: a message re-sent by the cron sweep continues the row's count.
 */
export async function deliverBatch(
  deps: Deps,
  batch: MessageBatch<OutboxMessage>,
  sink: Sink | null,
  policy: DeliveryPolicy,
): Promise<void> {
  const { db } = deps;
  await Promise.all(
    batch.messages.map(async (msg) => {
      const row = await db.query.openlineageEvents.findFirst({
        where: eq(openlineageEvents.id, msg.body.id),
      });
      if (!row || row.status === 'delivered' || row.status === 'dead') return msg.ack();
      if (!sink) {
        await db.run(
          sql`UPDATE openlineage_events SET status = 'pending', queued_at = NULL WHERE id = ${row.id}`,
        );
        return msg.ack();
      }
      const outcome = await sink(row.event);
      const now = deps.now();
      const attempts = row.attempts + 1;
      if (outcome.ok) {
        await db
          .update(openlineageEvents)
          .set({ status: 'delivered', attempts, lastAttemptAt: now, deliveredAt: now, lastError: null })
          .where(eq(openlineageEvents.id, row.id));
        return msg.ack();
      }
      const dead = attempts >= policy.maxAttempts;
      await db
        .update(openlineageEvents)
        .set({ status: dead ? 'dead' : 'queued', attempts, lastAttemptAt: now, lastError: outcome.error })
        .where(eq(openlineageEvents.id, row.id));
      if (dead) {
        console.warn(
          JSON.stringify({ openlineage: 'dead-letter', id: row.id, attempts, error: outcome.error }),
        );
        return msg.ack();
      }
      msg.retry({ delaySeconds: retryDelaySeconds(policy, attempts) });
    }),
  );
}
