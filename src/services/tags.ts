/**
 * Tags: mutable pointers moved by compare-and-swap (see tag-statements.ts for the SQL), with a
 * gap-free history. Protected tags (PROTECTED_TAGS, default `production`) need `promote`.
 * Every move and delete that changes a tag also writes its OpenLineage event, in the same batch.
 */

import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { TagEvent, TagMove } from '../contract/tags';
import { type BatchStatement, runBatch } from '../db/client';
import { type ArtifactRow, tagEvents, tags, versions } from '../db/schema';
import type { Deps } from '../deps';
import { pageOf } from '../lib/paging';
import { sourceOf } from './openlineage/events';
import { tagOutboxStatement } from './openlineage/outbox';
import { type PolicyRule, unmetRules } from './provenance/policy';
import { policyHolds } from './provenance/policy-sql';
import type { Failure, Result } from './result';
import { type Expectation, tagDeleteStatements, tagMoveStatements } from './tag-statements';

export function isProtectedTag(protectedTags: readonly string[], tag: string): boolean {
  return protectedTags.includes(tag);
}

/** The tag did not point where the move expected (compare-and-swap lost). */
export type TagConflict = Failure<
  'tag-conflict',
  { tag: string; current: string | null; expected: string | null | undefined }
>;
export type TagUnknown = Failure<'tag-unknown', { tag: string }>;
/** The tag's policy requires attestations the target version lacks (provenance/policy.ts). */
export type PolicyUnsatisfied = Failure<'policy-unsatisfied', { tag: string; missing: PolicyRule[] }>;

export async function moveTag(
  deps: Deps,
  artifact: ArtifactRow,
  move: { tag: string; digest: string; expect: Expectation; reason: string | null },
  by: string,
  origin: string,
): Promise<Result<{ move: TagMove }, TagConflict | PolicyUnsatisfied>> {
  const at = deps.now();
  const { db } = deps;
  const lineage = sourceOf(origin, deps.config.openlineage.namespace);
  // The last statement reads, in the same transaction, whether the policy allowed the move: a
  // move that changed nothing is then told apart from one the policy refused, exactly.
  const [event = [], applied = [], , allowed = []] = await runBatch(db, [
    ...tagMoveStatements({ ...move, by, at }),
    tagOutboxStatement(lineage, {
      artifact: artifact.name,
      tag: move.tag,
      to: move.digest,
      at,
      by,
      reason: move.reason,
    }),
    sql`SELECT 1 AS ok FROM versions v WHERE v.digest = ${move.digest} AND ${policyHolds(move.tag)}`,
  ]);
  if (applied.length === 0) {
    if (allowed.length === 0) {
      const target = await db.query.versions.findFirst({ where: eq(versions.digest, move.digest) });
      const missing = target ? await unmetRules(deps, artifact.id, move.tag, target.id) : [];
      return { ok: false, reason: 'policy-unsatisfied', tag: move.tag, missing };
    }
    // An unconditional move to where the tag already points is a successful no-op.
    if (move.expect === undefined) {
      return { ok: true, move: { tag: move.tag, digest: move.digest, previous: move.digest } };
    }
    const current = await db.query.tags.findFirst({
      where: and(eq(tags.artifactId, artifact.id), eq(tags.name, move.tag)),
    });
    return {
      ok: false,
      reason: 'tag-conflict',
      tag: move.tag,
      current: current?.digest ?? null,
      expected: move.expect,
    };
  }
  // No event means the tag already pointed there: a successful no-op.
  const previous = event[0] ? (event[0].from as string | null) : move.digest;
  return { ok: true, move: { tag: move.tag, digest: move.digest, previous } };
}

export async function deleteTag(
  deps: Deps,
  artifact: ArtifactRow,
  tag: string,
  by: string,
  reason: string | null,
  origin: string,
): Promise<Result<object, TagUnknown>> {
  const [, removed = []] = await runBatch(deps.db, tagDeleteBatch(deps, artifact, tag, by, reason, origin));
  if (removed.length === 0) return { ok: false, reason: 'tag-unknown', tag };
  return { ok: true };
}

/**
 * A tag delete as statements for one D1 batch: the history event, the delete (its RETURNING
 * says whether the tag existed: index 1) and the OpenLineage event. Shared with OCI deletes,
 * so every protocol's delete leaves the same trail.
 */
export function tagDeleteBatch(
  deps: Deps,
  artifact: Pick<ArtifactRow, 'id' | 'name'>,
  tag: string,
  by: string,
  reason: string | null,
  origin: string,
): [event: BatchStatement, remove: BatchStatement, outbox: BatchStatement] {
  const at = deps.now();
  const lineage = sourceOf(origin, deps.config.openlineage.namespace);
  return [
    ...tagDeleteStatements(artifact.id, tag, by, at, reason),
    tagOutboxStatement(lineage, { artifact: artifact.name, tag, to: null, at, by, reason }),
  ];
}

export async function listTags(deps: Deps, artifactId: number): Promise<Record<string, string>> {
  const { db } = deps;
  const rows = await db
    .select({ name: tags.name, digest: tags.digest })
    .from(tags)
    .where(eq(tags.artifactId, artifactId))
    .orderBy(tags.name);
  return Object.fromEntries(rows.map((r) => [r.name, r.digest]));
}

/** Newest first; the cursor is the last event id seen. */
export async function tagHistory(
  deps: Deps,
  artifactId: number,
  tag: string,
  limit: number,
  cursor?: number,
) {
  const { db } = deps;
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
      ...(e.attestations ? { attestations: e.attestations } : {}),
    }),
  );
}

/** The tag's last move (the one that put it where it points now), or undefined if it does not exist. */
export async function lastMove(deps: Deps, artifactId: number, tag: string) {
  const { db } = deps;
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
