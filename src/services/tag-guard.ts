/**
 * Guards that abort a whole D1 batch when a tag move in it would not happen. A move
 * (tag-statements.ts) is a conditional statement: when its expectation or its tag's policy fails,
 * it matches no row and the batch goes on. For PUT …/tags that is right (its RETURNING row says
 * who won), but publish writes a version *and* moves tags in one batch: a move skipped there
 * would answer success with the version written and the tag left behind (a policy set or a key
 * revoked since publish's up-front check; a Hub branch moved by another commit). SQLite aborts
 * only from a trigger, so every insert into `tag_move_guards` raises (migrations/0009); a guard
 * inserts exactly when the move's condition fails, D1 rolls the batch back, and `guardFailure`
 * turns the abort into the refusal it stands for, read again after the rollback.
 */
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { BatchStatement } from '../db/client';
import { tags } from '../db/schema';
import type { Deps } from '../deps';
import { findArtifact } from './artifacts';
import { unmetRules } from './provenance/policy';
import { policyHolds } from './provenance/policy-sql';
import { type Expectation, expectationHolds } from './tag-statements';
import type { PolicyUnsatisfied, TagConflict } from './tags';

type GuardedMove = { tag: string; digest: string; expect: Expectation };

/** Run before the move, after the target version's row exists: `v` is that row. */
export function tagMoveGuards(move: GuardedMove): BatchStatement[] {
  const guard = (reason: string, fails: SQL) => sql`
    INSERT INTO tag_move_guards (reason)
    SELECT ${reason} FROM versions v
    LEFT JOIN tags t ON t.artifact_id = v.artifact_id AND t.name = ${move.tag}
    WHERE v.digest = ${move.digest} AND ${fails}`;
  return [
    // COALESCE: `t.digest = ?` is NULL, not false, when the tag does not exist.
    ...(move.expect === undefined
      ? []
      : [guard('tag-moved', sql`NOT COALESCE(${expectationHolds(move.expect)}, 0)`)]),
    guard('policy-unmet', sql`NOT ${policyHolds(move.tag)}`),
  ];
}

/**
 * The refusal behind a guard's abort (null: `err` is something else). `versionId` is the target
 * version's row if it outlived the rollback (a re-publish), for the attestations it already has.
 */
export async function guardFailure(
  deps: Deps,
  artifactName: string,
  moves: readonly GuardedMove[],
  versionId: number | undefined,
  err: unknown,
): Promise<TagConflict | PolicyUnsatisfied | null> {
  const message = String(err);
  const moved = /CAIRN_TAG_MOVED/.test(message);
  if (!moved && !/CAIRN_TAG_POLICY_UNMET/.test(message)) return null;
  const artifact = await findArtifact(deps, artifactName);
  const failures: (TagConflict | PolicyUnsatisfied)[] = [];
  for (const { tag, expect } of moves) {
    if (moved && expect !== undefined) {
      const row = artifact
        ? await deps.db.query.tags.findFirst({
            where: and(eq(tags.artifactId, artifact.id), eq(tags.name, tag)),
          })
        : undefined;
      const current = row?.digest ?? null;
      failures.push({ ok: false, reason: 'tag-conflict', tag, current, expected: expect });
      if (current !== expect) return failures.at(-1)!;
    } else if (!moved) {
      const missing = artifact ? await unmetRules(deps, artifact.id, tag, versionId) : [];
      failures.push({ ok: false, reason: 'policy-unsatisfied', tag, missing });
      if (missing.length > 0) return failures.at(-1)!;
    }
  }
  // The condition held again by the time it was read back: still refused, on the first such tag.
  if (!failures[0]) throw err;
  return failures[0];
}
