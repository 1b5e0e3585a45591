/**
 * The OpenSSF model-signing statement (sigstore/model-transparency v1.0, predicate type
 * `https://model_signing/signature/v1.0`), built from a manifest's file list without reading a
 * byte of the files: the manifest already holds each file's SHA-256, which is what that project's
 * "files" serialization records.
 *
 * As model-transparency computes it (src/model_signing/_signing/signing.py, `Payload`):
 *   - `predicate.resources`: one `{name, algorithm: "sha256", digest}` per file, ordered as
 *     Python sorts `PurePosixPath`s: component by component, by code point;
 *   - `subject`: one descriptor named after the model (the last path component; here the
 *     artifact's name) whose sha256 is the SHA-256 of the concatenated raw 32-byte file digests,
 *     in resource order.
 * Its verifier recomputes that root from the listed resources, so a statement with files added,
 * dropped, renamed or reordered no longer matches.
 */
import type { ManifestFile } from '../../contract/manifest';
import { toHex } from '../../lib/hex';
import { STATEMENT_TYPE, type Statement } from './statement';

export const MODEL_SIGNING_PREDICATE = 'https://model_signing/signature/v1.0';

export interface ModelSigningResource {
  name: string;
  algorithm: 'sha256';
  digest: string;
}

export interface ModelSigningPredicate {
  serialization: { method: 'files'; hash_type: 'sha256'; allow_symlinks: boolean; ignore_paths: string[] };
  resources: ModelSigningResource[];
}

/** Code-point order (Python's str order), which differs from UTF-16 order above the BMP. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** PurePosixPath order: compare the lists of components ("a/b" sorts before "a.b"). */
export function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = compareCodePoints(x[i] ?? '', y[i] ?? '');
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** SHA-256 over the resources' raw digests, in the order listed. */
export async function modelRootDigest(resources: readonly ModelSigningResource[]): Promise<string> {
  const all = new Uint8Array(32 * resources.length);
  resources.forEach((r, i) => {
    all.set(hexBytes(r.digest), 32 * i);
  });
  return toHex(await crypto.subtle.digest('SHA-256', all));
}

export async function modelSigningStatement(
  modelName: string,
  files: readonly ManifestFile[],
): Promise<Statement<ModelSigningPredicate>> {
  const resources = [...files]
    .sort((a, b) => comparePaths(a.path, b.path))
    .map((f): ModelSigningResource => ({ name: f.path, algorithm: 'sha256', digest: f.digest.slice(7) }));
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: modelName, digest: { sha256: await modelRootDigest(resources) } }],
    predicateType: MODEL_SIGNING_PREDICATE,
    predicate: {
      serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: [] },
      resources,
    },
  };
}
