/**
 * The SQL that moves a tag, shared by PUT …/tags/{tag} and by publish's `tags`. Statements are
 * keyed by the target version's digest (publish does not know its new row ids yet) and always
 * come as a pair run in one D1 batch, event first:
 *   1. insert the history event, reading the tag's current target (`from`), only if the move
 *      will happen and changes something;
 *   2. the move itself: a single conditional statement whose RETURNING row says who won.
 * Both evaluate the same condition inside one transaction, so the history is gap-free: every
 * event's `from` is the previous event's `to`. That condition includes the tag's policy
 * (provenance/policy-sql.ts): a move to a version lacking a required attestation matches no row,
 * so no check-then-move race can slip a move past a policy, a revocation or a new rule.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { BatchStatement } from '../db/client';
import { policyHolds, reliedOnAttestations } from './provenance/policy-sql';

/** `undefined`: move unconditionally; `null`: the tag must not exist; a digest: it must point there. */
export type Expectation = string | null | undefined;

export interface TagMove {
  tag: string;
  /** Digest of the version the tag moves to (must be a version of the tag's artifact). */
  digest: string;
  expect: Expectation;
  by: string;
  at: number;
  reason: string | null;
}

export function expectationHolds(expect: Expectation): SQL {
  if (expect === undefined) return sql`1`;
  if (expect === null) return sql`t.digest IS NULL`;
  return sql`t.digest = ${expect}`;
}

export function tagMoveStatements(move: TagMove): [event: BatchStatement, apply: BatchStatement] {
  const event = sql`
    INSERT INTO tag_events (artifact_id, tag, from_digest, to_digest, at, by, reason, attestations)
    SELECT v.artifact_id, ${move.tag}, t.digest, v.digest, ${move.at}, ${move.by}, ${move.reason},
      ${reliedOnAttestations(move.tag)}
    FROM versions v
    LEFT JOIN tags t ON t.artifact_id = v.artifact_id AND t.name = ${move.tag}
    WHERE v.digest = ${move.digest}
      AND ${expectationHolds(move.expect)}
      AND (t.digest IS NULL OR t.digest <> v.digest)
      AND ${policyHolds(move.tag)}
    RETURNING from_digest AS "from"`;

  let apply: SQL;
  if (typeof move.expect === 'string') {
    apply = sql`
      UPDATE tags SET
        version_id = (SELECT id FROM versions WHERE digest = ${move.digest}),
        digest = ${move.digest}, updated_at = ${move.at}, updated_by = ${move.by}
      WHERE name = ${move.tag} AND digest = ${move.expect}
        AND artifact_id = (SELECT artifact_id FROM versions WHERE digest = ${move.digest})
        AND EXISTS (SELECT 1 FROM versions v WHERE v.digest = ${move.digest} AND ${policyHolds(move.tag)})
      RETURNING digest`;
  } else {
    // `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
    const onConflict =
      move.expect === null
        ? sql`DO NOTHING`
        : sql`DO UPDATE SET version_id = excluded.version_id, digest = excluded.digest,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by
              WHERE tags.digest <> excluded.digest`;
    apply = sql`
      INSERT INTO tags (artifact_id, name, version_id, digest, updated_at, updated_by)
      SELECT v.artifact_id, ${move.tag}, v.id, v.digest, ${move.at}, ${move.by}
      FROM versions v WHERE v.digest = ${move.digest} AND ${policyHolds(move.tag)}
      ON CONFLICT (artifact_id, name) ${onConflict}
      RETURNING digest`;
  }
  return [event, apply];
}

export function tagDeleteStatements(
  artifactId: number,
  tag: string,
  by: string,
  at: number,
  reason: string | null,
): [event: BatchStatement, remove: BatchStatement] {
  const event = sql`
    INSERT INTO tag_events (artifact_id, tag, from_digest, to_digest, at, by, reason)
    SELECT artifact_id, name, digest, NULL, ${at}, ${by}, ${reason}
    FROM tags WHERE artifact_id = ${artifactId} AND name = ${tag}
    RETURNING id`;
  const remove = sql`DELETE FROM tags WHERE artifact_id = ${artifactId} AND name = ${tag} RETURNING digest`;
  return [event, remove];
}
