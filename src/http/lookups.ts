/**
 * Lookups that turn "not found" into the API's 404: the artifact and version a route names.
 * A token limited to namespaces sees other namespaces as not existing, so names cannot be
 * enumerated.
 */

import type { Selector } from '../contract/grammar';
import { formatSelector } from '../contract/grammar';
import type { ArtifactRow, VersionRow } from '../db/schema';
import type { Deps } from '../deps';
import { ApiError } from '../errors';
import { findArtifact, findVersion } from '../services/artifacts';
import { canAccessNamespace, type Principal } from '../services/auth';

export async function requireArtifact(
  deps: Deps,
  name: string,
  principal: Principal | null,
): Promise<ArtifactRow> {
  const ns = name.slice(0, name.indexOf('/'));
  const artifact = canAccessNamespace(principal, ns) ? await findArtifact(deps, name) : undefined;
  if (!artifact) throw new ApiError('ARTIFACT_UNKNOWN', `no artifact ${name}`, { artifact: name });
  return artifact;
}

export function tagUnknown(artifact: ArtifactRow, tag: string): ApiError {
  return new ApiError('TAG_UNKNOWN', `no tag ${artifact.name}:${tag}`, { tag });
}

export async function requireVersion(
  deps: Deps,
  artifact: ArtifactRow,
  selector: Selector,
): Promise<VersionRow> {
  const version = await findVersion(deps, artifact.id, selector);
  if (!version) {
    const ref = `${artifact.name}${formatSelector(selector)}`;
    const code = selector.kind === 'tag' ? 'TAG_UNKNOWN' : 'VERSION_UNKNOWN';
    throw new ApiError(code, `no version ${ref}`, { ref });
  }
  return version;
}
