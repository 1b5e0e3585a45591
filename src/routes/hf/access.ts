/**
 * Which repository a `/hf` request names and whether the caller may use it: the same scopes and
 * namespace limits as the native API (a namespace-limited token sees other namespaces' repos as
 * not existing), and a repo of the other type is not found, as on the Hub.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { Scope } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { assertNamespaceWritable } from '../../http/guards';
import { parseWith } from '../../http/hf';
import { requireArtifact } from '../../http/lookups';
import { hasScope } from '../../services/auth';
import type { RepoType } from '../../services/hf/repos';
import { segmentSchema } from '../../validation';

const repoParams = z.object({ ns: segmentSchema, name: segmentSchema });

export function requireHfScope(c: Context<AppEnv>, scope: Scope) {
  const principal = c.var.principal;
  if (!principal) {
    if (scope === 'read' && c.var.deps.config.publicRead) return null;
    throw new ApiError('UNAUTHORIZED', 'this needs a token: send "Authorization: Bearer hf_<cairn token>"');
  }
  if (!hasScope(principal, scope)) {
    throw new ApiError('DENIED', `this token lacks the "${scope}" scope`, { required: scope });
  }
  return principal;
}

/** `models` / `datasets` in a URL (or `dataset` in a body) to the repo type. */
export function repoTypeOf(raw: string | undefined): RepoType {
  if (raw === 'models' || raw === 'model' || raw === undefined) return 'model';
  if (raw === 'datasets' || raw === 'dataset') return 'dataset';
  throw new ApiError('BAD_REQUEST', `repo type must be "model" or "dataset", not ${JSON.stringify(raw)}`);
}

/** The artifact behind `{ns}/{name}` of `type`, checked for `scope`; 404 RepoNotFound otherwise. */
export async function requireRepo(
  c: Context<AppEnv>,
  type: RepoType,
  ns: string,
  name: string,
  scope: Scope,
) {
  const params = parseWith(repoParams, { ns, name }, 'repository name');
  const principal = requireHfScope(c, scope);
  if (principal && scope !== 'read') assertNamespaceWritable(principal, params.ns);
  const artifact = await requireArtifact(c.var.deps, `${params.ns}/${params.name}`, principal);
  if (artifact.kind !== type) {
    throw new ApiError('ARTIFACT_UNKNOWN', `no ${type} repository ${artifact.name}`, {
      artifact: artifact.name,
    });
  }
  return { artifact, principal };
}
