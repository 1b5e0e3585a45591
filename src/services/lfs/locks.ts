/**
 * Git LFS file locks, one table in D1 (`lfs_locks`), per LFS repository (`ns/name`). A path has at
 * most one lock: the unique (repo, path) index decides a race between two creators in one
 * statement. Locks are not scoped by ref (the spec's first version: single-branch locking); the
 * `ref` clients send is accepted and ignored.
 *
 * Ids sort by creation time (base-36 milliseconds, then randomness), so listing by id lists
 * oldest first and the id of the last lock shown is the cursor of the next page.
 */

import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { runBatch } from '../../db/client';
import { type LfsLockRow, lfsLocks } from '../../db/schema';
import type { Deps } from '../../deps';
import { type Page, pageOf } from '../../lib/paging';
import { actorOf, hasScope, type Principal } from '../auth';

export const LOCK_ID_RE = /^[0-9a-z]{9}[0-9a-f]{16}$/;

export interface LockView {
  id: string;
  path: string;
  locked_at: string;
  owner: { name: string };
}

export function lockView(row: LfsLockRow): LockView {
  return {
    id: row.id,
    path: row.path,
    locked_at: new Date(row.lockedAt).toISOString(),
    owner: { name: row.ownerName },
  };
}

function newLockId(now: number): string {
  const random = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0'));
  return now.toString(36).padStart(9, '0') + random.join('');
}

export type CreateResult = { ok: true; lock: LockView } | { ok: false; reason: 'exists'; lock: LockView };

export async function createLock(
  deps: Deps,
  repo: string,
  path: string,
  principal: Principal,
): Promise<CreateResult> {
  const now = deps.now();
  const { db } = deps;
  // Two tries: the clashing lock can be released between our insert and our read of it.
  for (let attempt = 0; attempt < 2; attempt++) {
    const [inserted] = await runBatch(db, [
      sql`INSERT INTO lfs_locks (id, repo, path, owner_id, owner_name, locked_at)
          VALUES (${newLockId(now)}, ${repo}, ${path}, ${principal.id}, ${actorOf(principal)}, ${now})
          ON CONFLICT (repo, path) DO NOTHING
          RETURNING id, repo, path, owner_id AS ownerId, owner_name AS ownerName, locked_at AS lockedAt`,
    ]);
    const row = inserted?.[0] as LfsLockRow | undefined;
    if (row) return { ok: true, lock: lockView(row) };
    const existing = await db.query.lfsLocks.findFirst({
      where: and(eq(lfsLocks.repo, repo), eq(lfsLocks.path, path)),
    });
    if (existing) return { ok: false, reason: 'exists', lock: lockView(existing) };
  }
  throw new Error(`lock on ${repo}:${path} neither created nor found`);
}

export interface ListFilter {
  path?: string | undefined;
  id?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** One page of a repository's locks, oldest first (`limit + 1` rows read to know if more follow). */
export async function listLocks(deps: Deps, repo: string, filter: ListFilter): Promise<Page<LfsLockRow>> {
  const { db } = deps;
  const rows = await db
    .select()
    .from(lfsLocks)
    .where(
      and(
        eq(lfsLocks.repo, repo),
        filter.path !== undefined ? eq(lfsLocks.path, filter.path) : undefined,
        filter.id !== undefined ? eq(lfsLocks.id, filter.id) : undefined,
        filter.cursor !== undefined ? gt(lfsLocks.id, filter.cursor) : undefined,
      ),
    )
    .orderBy(asc(lfsLocks.id))
    .limit(filter.limit + 1);
  return pageOf(rows, filter.limit, (last) => last.id);
}

/** For `git push` with `lfs.locksverify`: the caller's locks and everyone else's. */
export async function verifyLocks(
  deps: Deps,
  repo: string,
  principal: Principal,
  page: { cursor?: string | undefined; limit: number },
) {
  const { items, nextCursor } = await listLocks(deps, repo, page);
  return {
    ours: items.filter((r) => r.ownerId === principal.id).map(lockView),
    theirs: items.filter((r) => r.ownerId !== principal.id).map(lockView),
    nextCursor,
  };
}

export type UnlockResult =
  | { ok: true; lock: LockView }
  | { ok: false; reason: 'unknown' }
  | { ok: false; reason: 'not-owner' | 'force-needs-admin'; lock: LockView };

/**
 * Deletes a lock. The owner (the same token) may always; anyone else only with `force`, which
 * needs the `admin` scope (as GitHub asks for admin rights on the repository to break another
 * user's lock). Ids are never reused, so deleting by id removes exactly the lock checked.
 */
export async function unlock(
  deps: Deps,
  repo: string,
  id: string,
  principal: Principal,
  force: boolean,
): Promise<UnlockResult> {
  const { db } = deps;
  const row = await db.query.lfsLocks.findFirst({ where: and(eq(lfsLocks.repo, repo), eq(lfsLocks.id, id)) });
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.ownerId !== principal.id) {
    if (!force) return { ok: false, reason: 'not-owner', lock: lockView(row) };
    if (!hasScope(principal, 'admin')) return { ok: false, reason: 'force-needs-admin', lock: lockView(row) };
  }
  const deleted = await db
    .delete(lfsLocks)
    .where(and(eq(lfsLocks.repo, repo), eq(lfsLocks.id, id)))
    .returning();
  return deleted[0] ? { ok: true, lock: lockView(deleted[0]) } : { ok: false, reason: 'unknown' };
}
