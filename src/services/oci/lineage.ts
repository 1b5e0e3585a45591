/**
 * Lineage from an OCI push (a KitOps ModelKit, a ModelPack), only where it can be said honestly:
 *   - a layer whose bytes ARE a file of a Cairn version the pusher may see (same digest) is that
 *     version's content, so the newest such version of each repository becomes an input:
 *       dataset layers (media type containing `dataset`) → versions of kind `dataset`, role `dataset`;
 *       code layers (media type containing `code`, e.g. `application/vnd.kitops.modelkit.code.v1.tar`)
 *       → versions of any kind, role `code`;
 *   - the manifest's standard annotations `org.opencontainers.image.source` (a repository URL) and
 *     `org.opencontainers.image.revision` (a full 40/64-hex commit) are the version's `code`
 *     (repository and commit), as `cairn push --code` would record them.
 * Bytes no version holds stay plain files, and a revision that is not a full commit id is not
 * recorded as one: nothing is guessed from names or titles.
 */
import { sql } from 'drizzle-orm';
import { parseRef } from '../../contract/grammar';
import type { Deps } from '../../deps';
import type { PublishInput } from '../../schemas/publish';
import { canAccessNamespace, type Principal } from '../auth';
import type { Descriptor } from './manifest-format';

/** Which layers point at which versions, with what role (see the header). */
const LAYER_RULES = [
  { mediaType: /dataset/i, role: 'dataset', kinds: ['dataset'] },
  { mediaType: /code/i, role: 'code', kinds: ['dataset', 'model', 'other'] },
] as const;
/** Inputs per rule at most (a manifest naming more is not a lineage statement anyone can read). */
const MAX_INPUTS_PER_RULE = 20;

const SOURCE = 'org.opencontainers.image.source';
const REVISION = 'org.opencontainers.image.revision';
const COMMIT_RE = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The inputs a pushed manifest's layers make (see the header); never the repository itself. */
export async function layerInputs(
  deps: Deps,
  principal: Principal,
  repo: string,
  layers: readonly Descriptor[],
): Promise<PublishInput['inputs']> {
  const inputs: PublishInput['inputs'] = [];
  for (const rule of LAYER_RULES) {
    const digests = [...new Set(layers.filter((l) => rule.mediaType.test(l.mediaType)).map((l) => l.digest))];
    if (digests.length === 0) continue;
    const rows = await deps.db.all<{ name: string; namespace: string; number: number }>(sql`
      SELECT a.name AS name, a.namespace AS namespace, MAX(v.number) AS number
      FROM version_files f JOIN versions v ON v.id = f.version_id JOIN artifacts a ON a.id = v.artifact_id
      WHERE f.digest IN (SELECT value FROM json_each(${JSON.stringify(digests)}))
        AND f.role = 'file' AND a.kind IN (SELECT value FROM json_each(${JSON.stringify(rule.kinds)}))
        AND a.name <> ${repo}
      GROUP BY a.name ORDER BY a.name LIMIT ${MAX_INPUTS_PER_RULE}`);
    for (const r of rows) {
      if (!canAccessNamespace(principal, r.namespace)) continue;
      const raw = `${r.name}@${r.number}`;
      const parsed = parseRef(raw);
      if (parsed.ok) inputs.push({ ref: { ...parsed.value, raw }, role: rule.role });
    }
  }
  return inputs;
}

/** The version's `code` from the manifest's source/revision annotations, when it has them. */
export function codeOf(annotations: Record<string, string> | null): PublishInput['code'] {
  const source = annotations?.[SOURCE];
  const revision = annotations?.[REVISION];
  const repo = source && source.length <= 2048 ? source : undefined;
  const commit = revision && COMMIT_RE.test(revision) ? revision : undefined;
  if (!repo && !commit) return undefined;
  return { ...(repo ? { repo } : {}), ...(commit ? { commit } : {}) };
}
