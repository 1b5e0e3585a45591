/**
 * The audit log: one row per write (any method but GET/HEAD/OPTIONS) and per denied attempt
 * (401, 403, 429), whatever its route: who (principal id and readable actor, never a secret),
 * what (method, path without its query, the matched route as `action`, the artifact), when, the
 * request id and the outcome. Read by admins at GET /v1/audit, newest first.
 */

import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { type AuditEventRow, auditEvents } from '../db/schema';
import type { Deps } from '../deps';
import { decodeCursor, encodeCursor } from '../lib/cursor';
import { type Page, pageOf } from '../lib/paging';

export type AuditEntry = Omit<AuditEventRow, 'id'>;

export function outcomeOf(status: number): AuditEventRow['outcome'] {
  if (status === 401 || status === 403 || status === 429) return 'denied';
  return status < 400 ? 'ok' : 'failed';
}

export function shouldAudit(method: string, status: number): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method) || outcomeOf(status) === 'denied';
}

export async function recordAudit(deps: Deps, entry: AuditEntry): Promise<void> {
  const { db } = deps;
  await db.insert(auditEvents).values(entry);
}

/** Drops events older than the retention period (cron); returns how many went. */
export async function pruneAudit(deps: Deps, retentionMs: number): Promise<number> {
  const now = deps.now();
  const { db } = deps;
  const gone = await db
    .delete(auditEvents)
    .where(lt(auditEvents.at, now - retentionMs))
    .returning({ id: auditEvents.id });
  return gone.length;
}

export interface AuditFilter {
  artifact?: string | undefined;
  actor?: string | undefined;
  outcome?: AuditEventRow['outcome'] | undefined;
}

export interface AuditView {
  id: number;
  at: string;
  requestId: string;
  actor: string;
  actorId: string | null;
  ip: string | null;
  method: string;
  path: string;
  action: string;
  artifact: string | null;
  status: number;
  outcome: AuditEventRow['outcome'];
  /** The API error code of a refused or failed request. */
  code: string | null;
}

export async function listAudit(
  deps: Deps,
  filter: AuditFilter,
  limit: number,
  cursor: string | undefined,
): Promise<Page<AuditView>> {
  const { db } = deps;
  const conditions: SQL[] = [];
  if (filter.artifact) conditions.push(eq(auditEvents.artifact, filter.artifact));
  if (filter.actor) conditions.push(eq(auditEvents.actorId, filter.actor));
  if (filter.outcome) conditions.push(eq(auditEvents.outcome, filter.outcome));
  if (cursor) conditions.push(lt(auditEvents.id, decodeCursor(cursor).t));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(limit + 1);
  return pageOf(
    rows,
    limit,
    (last) => encodeCursor({ t: last.id, k: '' }),
    (r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      requestId: r.requestId,
      actor: r.actor,
      actorId: r.actorId,
      ip: r.ip,
      method: r.method,
      path: r.path,
      action: r.action,
      artifact: r.artifact,
      status: r.status,
      outcome: r.outcome,
      code: typeof r.detail?.code === 'string' ? r.detail.code : null,
    }),
  );
}
