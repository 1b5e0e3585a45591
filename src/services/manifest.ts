/**
 * The version manifest: canonical JSON (RFC 8785, via the `canonicalize` library) so any client
 * can recompute its digest. Contents are what makes a version reproducible (files, inputs by
 * digest, code, environment, params); annotations (metrics, labels) and timestamps stay out, so
 * publishing the same thing twice yields the same digest. Lists are sorted (by UTF-16 code
 * units, the order JCS uses for keys) and absent sections are omitted, never null.
 */
import canonicalize from 'canonicalize';
import type { Digest } from '../contract/grammar';
import type { Manifest as ManifestV1 } from '../contract/manifest';
import { sha256Hex } from '../lib/digest';

export const MANIFEST_SCHEMA = 'cairn.manifest/v1';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.cairn.manifest.v1+json';

/** The manifest's shape is the API's (contract/manifest.ts). */
export type { Manifest as ManifestV1, ManifestFile, ManifestInput } from '../contract/manifest';

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function buildManifest(fields: Omit<ManifestV1, 'schema'>): ManifestV1 {
  const manifest: ManifestV1 = {
    schema: MANIFEST_SCHEMA,
    artifact: fields.artifact,
    kind: fields.kind,
    files: fields.files
      .map(({ path, digest, size, table }) => ({
        path,
        digest,
        size,
        ...(table ? { table: { key: [...table.key] } } : {}),
      }))
      .sort((a, b) => byCodeUnits(a.path, b.path)),
    inputs: fields.inputs
      .map(({ role, ref, digest }) => ({ role, ref, digest }))
      .sort((a, b) => byCodeUnits(a.role, b.role) || byCodeUnits(a.ref, b.ref)),
  };
  if (fields.code && Object.keys(fields.code).length > 0) manifest.code = fields.code;
  const env = fields.environment;
  if (env && (env.lockfiles?.length || env.image || (env.runtime && Object.keys(env.runtime).length))) {
    manifest.environment = {
      ...(env.lockfiles?.length
        ? {
            lockfiles: [...env.lockfiles]
              .map(({ path, digest }) => ({ path, digest }))
              .sort((a, b) => byCodeUnits(a.path, b.path)),
          }
        : {}),
      ...(env.image ? { image: env.image } : {}),
      ...(env.runtime && Object.keys(env.runtime).length ? { runtime: env.runtime } : {}),
    };
  }
  if (fields.params && Object.keys(fields.params).length > 0) manifest.params = fields.params;
  return manifest;
}

export interface EncodedManifest {
  bytes: Uint8Array;
  digest: Digest;
}

export async function encodeManifest(manifest: ManifestV1): Promise<EncodedManifest> {
  const text = canonicalize(manifest);
  if (text === undefined) throw new Error('manifest is not serialisable');
  const bytes = new TextEncoder().encode(text);
  return { bytes, digest: `sha256:${await sha256Hex(bytes)}` };
}
