/**
 * The SQL form of a tag policy, evaluated inside the statements that move a tag
 * (tag-statements.ts) so the check and the move are one atomic statement. `v` is the target
 * version's row in the enclosing query. A rule (tag_policies row) is met by an attestation of
 * its predicate type on that version, signed by an unrevoked key the rule allows (`key_ids`
 * null: any registered key).
 */
import { type SQL, sql } from 'drizzle-orm';

const meets = sql`a.version_id = v.id AND a.predicate_type = p.predicate_type
  AND k.revoked_at IS NULL
  AND (p.key_ids IS NULL OR a.key_id IN (SELECT value FROM json_each(p.key_ids)))`;

/** True when every rule for `tag` on the version's artifact is met. */
export function policyHolds(tag: string): SQL {
  return sql`NOT EXISTS (
    SELECT 1 FROM tag_policies p
    WHERE p.artifact_id = v.artifact_id AND p.tag = ${tag}
      AND NOT EXISTS (
        SELECT 1 FROM attestations a JOIN signing_keys k ON k.key_id = a.key_id WHERE ${meets}))`;
}

/** JSON array of the attestation digests the move relies on; NULL when no rule applies. */
export function reliedOnAttestations(tag: string): SQL {
  return sql`(SELECT CASE WHEN count(*) = 0 THEN NULL ELSE json_group_array(DISTINCT a.digest) END
    FROM tag_policies p, attestations a JOIN signing_keys k ON k.key_id = a.key_id
    WHERE p.artifact_id = v.artifact_id AND p.tag = ${tag} AND ${meets})`;
}
