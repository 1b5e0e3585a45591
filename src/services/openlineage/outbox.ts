/**
 * The OpenLineage outbox (table `openlineage_events`, docs/DESIGN.md "OpenLineage outbox").
 * Never lose an event, never slow a write:
 *   1. the event row is one more statement in the D1 batch of the publish or tag move it
 *      describes: it commits with the change or not at all (a tag move that changed nothing, or
 *      lost its compare-and-swap, writes no history row and so no event);
 *   2. after the response is decided, `handOff` (in `waitUntil`, never awaited by the request)
 *      claims pending rows (`pending` → `queued`, one UPDATE, so two hand-offs never send the same
 *      row) and sends their ids to the `cairn-openlineage` queue; a failed send puts them back;
 *   3. the consumer (delivery.ts) POSTs each to OPENLINEAGE_URL and records the outcome;
 *   4. the hourly cron (`sweepOutbox`) hands off rows still `pending` and re-queues rows `queued`
 *      long past any retry delay (a lost message): delivery is at least once.
 */
import { sql } from 'drizzle-orm';
import type { BatchStatement } from '../../db/client';
import type { Deps } from '../../deps';
import type { ManifestV1 } from '../manifest';
import {
  type LineageSource,
  namespaceOf,
  publishEvent,
  publishNamespaces,
  type TagEventInput,
  tagEvent,
} from './events';

/** The queue message: the row id only (the event itself can exceed a message's 128 KB). */
export interface OutboxMessage {
  id: number;
}

/** Queues' sendBatch limit (messages per call). */
const SEND_BATCH = 100;
/** A D1 string is capped at 2 MB; an event above this drops its params (the manifest keeps them). */
const MAX_EVENT_CHARS = 1_000_000;

function capped(event: ReturnType<typeof publishEvent>): string {
  const text = JSON.stringify(event);
  if (text.length <= MAX_EVENT_CHARS) return text;
  const { executionParameters: _, ...facets } = event.run.facets;
  facets.cairn_params = { ...(facets.cairn_params ?? {}), params: null, truncated: true };
  return JSON.stringify({ ...event, run: { ...event.run, facets } });
}

/** The outbox row of a new version (same batch, after the version row). */
export function publishOutboxStatement(
  source: LineageSource,
  manifest: ManifestV1,
  digest: string,
  at: number,
  by: string,
): BatchStatement {
  const event = capped(publishEvent(source, { manifest, digest, at, by }));
  return sql`
    INSERT INTO openlineage_events (kind, namespace, namespaces, event, created_at)
    SELECT 'publish', ${namespaceOf(manifest.artifact)}, ${JSON.stringify(publishNamespaces(manifest))},
           json_set(${event}, '$.outputs[0].facets.cairn_version.number', v.number), ${at}
    FROM versions v WHERE v.digest = ${digest}`;
}

/**
 * The outbox row of a tag move or delete (same batch, after its history statement). It copies
 * the history row this batch just wrote: the newest event of the tag, if it is this move (same
 * target, same instant). When the move wrote no history row, the newest one already has its
 * event, and the unique `tag_event_id` makes this a no-op.
 */
export function tagOutboxStatement(source: LineageSource, move: TagEventInput): BatchStatement {
  const event = JSON.stringify(tagEvent(source, move));
  const artifactId = sql`(SELECT id FROM artifacts WHERE name = ${move.artifact})`;
  const ns = namespaceOf(move.artifact);
  return sql`
    INSERT INTO openlineage_events (kind, namespace, namespaces, event, tag_event_id, created_at)
    SELECT 'tag', ${ns}, ${JSON.stringify([ns])},
           json_set(${event}, '$.run.facets.cairn_tagMove.from', te.from_digest), te.id, ${move.at}
    FROM tag_events te
    WHERE te.id = (SELECT MAX(id) FROM tag_events WHERE artifact_id = ${artifactId} AND tag = ${move.tag})
      AND te.to_digest IS ${move.to} AND te.at = ${move.at}
    ON CONFLICT (tag_event_id) DO NOTHING`;
}

/** Claims up to `limit` pending rows and sends their ids to the queue; returns how many went. */
export async function handOff(deps: Deps, queue: Queue<OutboxMessage>, limit = SEND_BATCH): Promise<number> {
  const { db } = deps;
  const now = deps.now();
  const claimed = await db.all<{ id: number }>(sql`
    UPDATE openlineage_events SET status = 'queued', queued_at = ${now}
    WHERE id IN (SELECT id FROM openlineage_events WHERE status = 'pending' ORDER BY id LIMIT ${limit})
      AND status = 'pending'
    RETURNING id`);
  if (claimed.length === 0) return 0;
  const ids = claimed.map((r) => r.id);
  try {
    for (let i = 0; i < ids.length; i += SEND_BATCH) {
      await queue.sendBatch(ids.slice(i, i + SEND_BATCH).map((id) => ({ body: { id } })));
    }
  } catch (err) {
    // Not sent (or not known to be): back to pending for the next hand-off or the cron.
    await db.run(sql`
      UPDATE openlineage_events SET status = 'pending', queued_at = NULL
      WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)})) AND status = 'queued'`);
    throw err;
  }
  return ids.length;
}

export interface SweepResult {
  requeued: number;
  handedOff: number;
}

/**
 * The cron's part: rows `queued` with no attempt for `staleMs` (their message was lost: a
 * consumer crash past the queue's own retries) go back to `pending`, then pending rows are
 * handed off, at most `maxRows` per run so a backlog drains over a few hours, never in one burst.
 */
export async function sweepOutbox(
  deps: Deps,
  queue: Queue<OutboxMessage>,
  opts: { staleMs: number; maxRows: number },
): Promise<SweepResult> {
  const { db } = deps;
  const before = deps.now() - opts.staleMs;
  const stale = await db.all<{ id: number }>(sql`
    UPDATE openlineage_events SET status = 'pending', queued_at = NULL
    WHERE status = 'queued' AND MAX(COALESCE(last_attempt_at, 0), queued_at) < ${before}
    RETURNING id`);
  let handedOff = 0;
  while (handedOff < opts.maxRows) {
    const sent = await handOff(deps, queue, Math.min(SEND_BATCH, opts.maxRows - handedOff));
    if (sent === 0) break;
    handedOff += sent;
  }
  return { requeued: stale.length, handedOff };
}
