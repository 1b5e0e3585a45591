/**
 * Tag policies: per tag of an artifact, the attestations a version needs before the tag may move
 * to it (`production` needs a model-signing attestation by one of these keys). Enforced inside
 * the move statement itself (policy-sql.ts); this module sets and reads the rules, and explains a
 * refused move: which rules the version does not meet.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Policy, PolicyRule } from '../../contract/provenance';
import type { BatchStatement } from '../../db/client';
import { runBatch } from '../../db/client';
import { signingKeys, tagPolicies } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Failure, Result } from '../result';
import { listAttestations } from './attestations';

export type { Policy, PolicyRule } from '../../contract/provenance';

export async function getPolicy(deps: Deps, artifactId: number): Promise<Policy> {
  const rows = await deps.db
    .select()
    .from(tagPolicies)
    .where(eq(tagPolicies.artifactId, artifactId))
    .orderBy(tagPolicies.tag, tagPolicies.predicateType);
  const policy: Policy = {};
  for (const r of rows) {
    const rules = policy[r.tag] ?? [];
    rules.push({ predicateType: r.predicateType, ...(r.keyIds ? { keys: r.keyIds } : {}) });
    policy[r.tag] = rules;
  }
  return policy;
}

/** Replaces the artifact's whole policy in one batch; every named key must be registered. */
export async function setPolicy(
  deps: Deps,
  artifactId: number,
  policy: Policy,
  by: string,
): Promise<Result<{ policy: Policy }, Failure<'keys-unknown', { keys: string[] }>>> {
  const named = [...new Set(Object.values(policy).flatMap((rules) => rules.flatMap((r) => r.keys ?? [])))];
  if (named.length > 0) {
    const known = await deps.db
      .select({ keyId: signingKeys.keyId })
      .from(signingKeys)
      .where(inArray(signingKeys.keyId, named));
    const knownIds = new Set(known.map((k) => k.keyId));
    const unknown = named.filter((k) => !knownIds.has(k));
    if (unknown.length > 0) return { ok: false, reason: 'keys-unknown', keys: unknown };
  }
  const at = deps.now();
  const statements: BatchStatement[] = [sql`DELETE FROM tag_policies WHERE artifact_id = ${artifactId}`];
  for (const [tag, rules] of Object.entries(policy)) {
    for (const rule of rules) {
      const keys = rule.keys ? JSON.stringify([...new Set(rule.keys)]) : null;
      statements.push(sql`INSERT INTO tag_policies (artifact_id, tag, predicate_type, key_ids, updated_at, updated_by)
        VALUES (${artifactId}, ${tag}, ${rule.predicateType}, ${keys}, ${at}, ${by})
        ON CONFLICT (artifact_id, tag, predicate_type) DO UPDATE SET key_ids = excluded.key_ids`);
    }
  }
  await runBatch(deps.db, statements);
  return { ok: true, policy: await getPolicy(deps, artifactId) };
}

/**
 * The rules for `tag` that the version does not meet (empty: the policy allows the move);
 * `versionId` undefined: a version not published yet, which meets none.
 */
export async function unmetRules(
  deps: Deps,
  artifactId: number,
  tag: string,
  versionId: number | undefined,
): Promise<PolicyRule[]> {
  const rules = await deps.db
    .select()
    .from(tagPolicies)
    .where(and(eq(tagPolicies.artifactId, artifactId), eq(tagPolicies.tag, tag)));
  if (rules.length === 0) return [];
  const held =
    versionId === undefined ? [] : (await listAttestations(deps, versionId)).filter((a) => a.verified);
  return rules
    .filter(
      (r) =>
        !held.some((a) => a.predicateType === r.predicateType && (!r.keyIds || r.keyIds.includes(a.keyId))),
    )
    .map((r) => ({ predicateType: r.predicateType, ...(r.keyIds ? { keys: r.keyIds } : {}) }));
}
