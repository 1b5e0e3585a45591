/**
 * Bounds failed authentication: per client IP and per presented credential (by a hash prefix,
 * never the secret), at most `limit` failures per fixed window. Over the limit, every request
 * with credentials from that key is refused with 429 before its token is checked, so the answer
 * cannot tell a guess that would have been right from one that was wrong.
 */

import { lt, sql } from 'drizzle-orm';
import { type BatchStatement, runBatch } from '../db/client';
import { authFailures } from '../db/schema';
import type { Deps } from '../deps';

export interface ThrottleLimits {
  limit: number;
  windowMs: number;
}

/**
 * The counters a request is charged to: its IP when known, and the credential it presented (by a
 * prefix of its SHA-256 hex, which is also what the token lookup uses).
 */
export function throttleKeys(ip: string | null, credentialHash: string): string[] {
  const keys = [`token:${credentialHash.slice(0, 32)}`];
  if (ip) keys.unshift(`ip:${ip.slice(0, 64)}`);
  return keys;
}

/** The statement reading the counters of `keys` (for `runBatch`, beside the token lookup). */
export function throttleLookup(keys: readonly string[]): BatchStatement {
  return sql`SELECT window_start, count FROM auth_failures
             WHERE key IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`;
}

/** Seconds until the caller may try again (from `throttleLookup` rows), or null when not throttled. */
export function retryAfter(
  rows: readonly Record<string, unknown>[],
  limits: ThrottleLimits,
  now = Date.now(),
): number | null {
  let until = 0;
  for (const r of rows) {
    const end = Number(r.window_start) + limits.windowMs;
    if (end > now && Number(r.count) >= limits.limit) until = Math.max(until, end);
  }
  return until > now ? Math.max(1, Math.ceil((until - now) / 1000)) : null;
}

/**
 * Keys this isolate recently found under the limit, until when, per database binding (the
 * counters live in that database). A client that authenticates successfully again within
 * CLEAR_FOR_MS skips the counter read (the hot path of every credentialed request); any failure
 * seen here forgets its keys at once. Failures counted by other isolates reach this one at most
 * CLEAR_FOR_MS late.
 */
export const CLEAR_FOR_MS = 2_000;
const MAX_REMEMBERED = 10_000;
const recentlyClear = new WeakMap<object, Map<string, number>>();

function clearIn(deps: Deps): Map<string, number> {
  const { db } = deps;
  let known = recentlyClear.get(db.$client);
  if (!known) {
    known = new Map();
    recentlyClear.set(db.$client, known);
  }
  return known;
}

export function knownClear(deps: Deps, keys: readonly string[]): boolean {
  const now = deps.now();
  const known = clearIn(deps);
  return keys.every((key) => (known.get(key) ?? 0) > now);
}

export function rememberClear(deps: Deps, keys: readonly string[]): void {
  const now = deps.now();
  const known = clearIn(deps);
  if (known.size >= MAX_REMEMBERED) known.clear();
  for (const key of keys) known.set(key, now + CLEAR_FOR_MS);
}

/** Counts one failure against every key (a window that has ended starts anew). */
export async function recordAuthFailure(
  deps: Deps,
  keys: readonly string[],
  limits: ThrottleLimits,
): Promise<void> {
  const now = deps.now();
  const { db } = deps;
  const expired = now - limits.windowMs;
  const known = clearIn(deps);
  for (const key of keys) known.delete(key);
  await runBatch(
    db,
    keys.map(
      (key) => sql`
        INSERT INTO auth_failures (key, window_start, count) VALUES (${key}, ${now}, 1)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN window_start <= ${expired} THEN 1 ELSE count + 1 END,
          window_start = CASE WHEN window_start <= ${expired} THEN ${now} ELSE window_start END`,
    ),
  );
}

/** Drops counters whose window ended (cron). */
export async function sweepAuthFailures(deps: Deps, windowMs: number): Promise<void> {
  const now = deps.now();
  const { db } = deps;
  await db.delete(authFailures).where(lt(authFailures.windowStart, now - windowMs));
}
