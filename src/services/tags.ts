/**
 * Tags: mutable pointers moved by compare-and-swap (see tag-statements.ts for the SQL), with a
 * gap-free history. Protected tags (PROTECTED_TAGS, default `production`) need `promote`.
 */
import { and, desc, eq, lt } from 'drizzle-orm';
import type { TagEvent, TagMove } from '../contract/tags';
import { type Db, runBatch } from '../db/client';
import { type ArtifactRow, tagEvents, tags } from '../db/schema';
import { ApiError } from '../errors';
import { pageOf } from '../lib/paging';
import { hasScope, type Principal } from './auth';
import { type Expectation, tagDeleteStatements, tagMoveStatements } from './tag-statements';

export function isProtectedTag(protectedTags: readonly string[], tag: string): boolean {
  return protectedTags.includes(tag);
}

/** Throws DENIED unless the principal may move (or delete) every one of `tagNames`. */
export function assertCanMoveTags(
  principal: Principal,
  protectedTags: readonly string[],
  tagNames: readonly string[],
) {
  for (const tag of tagNames) {
    const needed = isProtectedTag(protectedTags, tag) ? 'promote' : 'write';
    const allowed = hasScope(principal, needed) || (needed === 'write' && hasScope(principal, 'promote'));
    if (!allowed) {
      throw new ApiError('DENIED', `moving the tag "${tag}" needs the "${needed}" scope`, {
        tag,
        required: needed,
      });
    }
  }
}

export async function moveTag(
  db: Db,
  artifact: ArtifactRow,
  move: { tag: string; digest: string; expect: Expectation; reason: string | null },
  by: string,
  at = Date.now(),
): Promise<TagMove> {
  const [event = [], applied = []] = await runBatch(db, tagMoveStatements({ ...move, by, at }));
  const won = move.expect === undefined || applied.length > 0;
  if (!won) {
    const current = await db.query.tags.findFirst({
      where: and(eq(tags.artifactId, artifact.id), eq(tags.name, move.tag)),
    });
    throw new ApiError(
      'TAG_CONFLICT',
      `${artifact.name}:${move.tag} points to ${current?.digest ?? 'nothing'}, not ${move.expect ?? 'nothing'}`,
      { tag: move.tag, current: current?.digest ?? null, expected: move.expect },
    );
  }
  // No event means the tag already pointed there: a successful no-op.
  const previous = event[0] ? (event[0].from as string | null) : move.digest;
  return { tag: move.tag, digest: move.digest, previous };
}

export async function deleteTag(
  db: Db,
  artifact: ArtifactRow,
  tag: string,
  by: string,
  reason: string | null,
) {
  const [, removed = []] = await runBatch(db, tagDeleteStatements(artifact.id, tag, by, Date.now(), reason));
  if (removed.length === 0) throw new ApiError('TAG_UNKNOWN', `no tag ${artifact.name}:${tag}`, { tag });
}

export async function listTags(db: Db, artifactId: number): Promise<Record<string, string>> {
  const rows = await db
    .select({ name: tags.name, digest: tags.digest })
    .from(tags)
    .where(eq(tags.artifactId, artifactId))
    .orderBy(tags.name);
  return Object.fromEntries(rows.map((r) => [r.name, r.digest]));
}

/** Newest first; the cursor is the last event id seen. */
export async function tagHistory(db: Db, artifactId: number, tag: string, limit: number, cursor?: number) {
  const rows = await db
    .select()
    .from(tagEvents)
    .where(
      and(
        eq(tagEvents.artifactId, artifactId),
        eq(tagEvents.tag, tag),
        cursor === undefined ? undefined : lt(tagEvents.id, cursor),
      ),
    )
    .orderBy(desc(tagEvents.id))
    .limit(limit + 1);
  return pageOf(
    rows,
    limit,
    (last) => String(last.id),
    (e): TagEvent => ({
      from: e.fromDigest,
      to: e.toDigest,
      at: new Date(e.at).toISOString(),
      by: e.by,
      reason: e.reason,
    }),
  );
}

/** The tag's last move (the one that put it where it points now), or undefined if it does not exist. */
export async function lastMove(db: Db, artifactId: number, tag: string) {
  const current = await db.query.tags.findFirst({
    where: and(eq(tags.artifactId, artifactId), eq(tags.name, tag)),
  });
  if (!current) return undefined;
  const event = await db.query.tagEvents.findFirst({
    where: and(
      eq(tagEvents.artifactId, artifactId),
      eq(tagEvents.tag, tag),
      eq(tagEvents.toDigest, current.digest),
    ),
    orderBy: desc(tagEvents.id),
  });
  return { current, event };
}
