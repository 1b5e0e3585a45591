/**
 * `Idempotency-Key` for publish: a retried request with the same key (same caller) gets the
 * first response back, byte for byte; the same key with a different request is refused. The
 * record is written in the publish's own batch, so it exists exactly when the version does.
 * Records older than IDEMPOTENCY_TTL_MS are ignored and swept by the cron.
 */

import { and, eq, lt, sql } from 'drizzle-orm';
import { manifestUrl } from '../contract/urls';
import type { BatchStatement } from '../db/client';
import { idempotencyKeys } from '../db/schema';
import type { Deps } from '../deps';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;

export interface Replay {
  status: number;
  body: string;
}

export async function findReplay(
  deps: Deps,
  principalId: string,
  key: string,
  requestHash: string,
): Promise<Replay | 'reused' | null> {
  const now = deps.now();
  const { db } = deps;
  const row = await db.query.idempotencyKeys.findFirst({
    where: and(eq(idempotencyKeys.principalId, principalId), eq(idempotencyKeys.key, key)),
  });
  if (!row || row.createdAt < now - IDEMPOTENCY_TTL_MS) return null;
  if (row.requestHash !== requestHash) return 'reused';
  return { status: row.status, body: row.body };
}

/** The record of a publish response, built inside the batch from the version row it creates. */
export function recordPublish(
  deps: Deps,
  r: {
    principalId: string;
    key: string;
    requestHash: string;
    status: number;
    origin: string;
    digest: string;
  },
): BatchStatement {
  const now = deps.now();
  return sql`
    INSERT INTO idempotency_keys (principal_id, key, request_hash, status, body, created_at)
    SELECT ${r.principalId}, ${r.key}, ${r.requestHash}, ${r.status},
           json_object('artifact', a.name, 'version', v.number, 'digest', v.digest,
                       'manifestUrl', ${manifestUrl(r.origin, '')} || v.digest),
           ${now}
    FROM versions v JOIN artifacts a ON a.id = v.artifact_id WHERE v.digest = ${r.digest}
    ON CONFLICT (principal_id, key) DO UPDATE SET
      request_hash = excluded.request_hash, status = excluded.status, body = excluded.body,
      created_at = excluded.created_at
    WHERE idempotency_keys.created_at < ${now - IDEMPOTENCY_TTL_MS}`;
}

export async function sweepIdempotencyKeys(deps: Deps): Promise<void> {
  const now = deps.now();
  const { db } = deps;
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, now - IDEMPOTENCY_TTL_MS));
}
