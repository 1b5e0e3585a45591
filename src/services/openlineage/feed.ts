/**
 * Reading the outbox: the pull feed (GET /v1/openlineage/events, oldest first, `after` a cursor)
 * and the delivery log for admins (GET /v1/openlineage/deliveries). Ids grow in commit order, so
 * a consumer that pages with the last cursor it saw never misses an event committed later. A
 * namespace-limited token sees an event only if it may read every namespace the event names
 * (its output and its inputs), as /v1/lineage hides versions of other namespaces.
 */
import { and, asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { type OpenLineageStatus, openlineageEvents } from '../../db/schema';
import type { Deps } from '../../deps';
import { decodeCursor, encodeCursor } from '../../lib/cursor';
import { type Page, pageOf } from '../../lib/paging';
import type { Principal } from '../auth';

const cursorOf = (row: { id: number }) => encodeCursor({ t: row.id, k: String(row.id) });

function visibleTo(principal: Principal | null): SQL | undefined {
  const allowed = principal?.namespaces;
  if (!allowed) return undefined;
  if (allowed.length === 0) return sql`0`;
  return and(
    inArray(openlineageEvents.namespace, allowed),
    sql`NOT EXISTS (SELECT 1 FROM json_each(${openlineageEvents.namespaces}) j
                    WHERE j.value NOT IN (SELECT value FROM json_each(${JSON.stringify(allowed)})))`,
  );
}

/** Events after `cursor`, oldest first, as the OpenLineage JSON objects they are. */
export async function listEvents(
  deps: Deps,
  principal: Principal | null,
  limit: number,
  after: string | undefined,
): Promise<Page<unknown>> {
  const { db } = deps;
  const rows = await db
    .select({ id: openlineageEvents.id, event: openlineageEvents.event })
    .from(openlineageEvents)
    .where(and(visibleTo(principal), after ? gt(openlineageEvents.id, decodeCursor(after).t) : undefined))
    .orderBy(asc(openlineageEvents.id))
    .limit(limit + 1);
  return pageOf(rows, limit, cursorOf, (r) => JSON.parse(r.event));
}

export interface DeliveryView {
  id: number;
  kind: 'publish' | 'tag';
  status: OpenLineageStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  event: unknown;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The delivery state of every event (admins), oldest first, optionally of one status. */
export async function listDeliveries(
  deps: Deps,
  status: OpenLineageStatus | undefined,
  limit: number,
  after: string | undefined,
): Promise<Page<DeliveryView>> {
  const { db } = deps;
  const rows = await db
    .select()
    .from(openlineageEvents)
    .where(
      and(
        status ? eq(openlineageEvents.status, status) : undefined,
        after ? gt(openlineageEvents.id, decodeCursor(after).t) : undefined,
      ),
    )
    .orderBy(asc(openlineageEvents.id))
    .limit(limit + 1);
  return pageOf(rows, limit, cursorOf, (r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: iso(r.createdAt)!,
    lastAttemptAt: iso(r.lastAttemptAt),
    deliveredAt: iso(r.deliveredAt),
    event: JSON.parse(r.event),
  }));
}
