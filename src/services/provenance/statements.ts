/**
 * A version's statements, from what the registry already holds: the manifest (one small blob:
 * the version's own metadata) and the version row. File bytes are never read: every file's
 * digest is in the manifest. `provenanceBundle` signs the SLSA statement with the registry's key.
 */
import type { ArtifactRow, VersionRow } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Failure, Result } from '../result';
import { readManifest } from '../versions';
import { type SigstoreBundle, signStatement } from './bundle';
import { modelSigningStatement } from './model-signing';
import { registrySigningKey } from './signing-keys';
import { slsaStatement } from './slsa';
import { encodeStatement, type Statement } from './statement';

export type StatementType = 'slsa' | 'model-signing';

export async function versionStatement(
  deps: Deps,
  artifact: ArtifactRow,
  version: VersionRow,
  type: StatementType,
  origin: string,
): Promise<Statement> {
  const manifest = await readManifest(deps, version.digest);
  if (type === 'model-signing') {
    return modelSigningStatement(artifact.name.slice(artifact.name.indexOf('/') + 1), manifest.files);
  }
  return slsaStatement(
    {
      origin,
      digest: version.digest,
      number: version.number,
      createdAt: version.createdAt,
      createdBy: version.createdBy,
    },
    manifest,
  );
}

export async function provenanceBundle(
  deps: Deps,
  artifact: ArtifactRow,
  version: VersionRow,
  origin: string,
): Promise<Result<{ bundle: SigstoreBundle }, Failure<'no-registry-key'>>> {
  const key = await registrySigningKey(deps);
  if (!key) return { ok: false, reason: 'no-registry-key' };
  const statement = await versionStatement(deps, artifact, version, 'slsa', origin);
  return { ok: true, bundle: await signStatement(key, encodeStatement(statement)) };
}
