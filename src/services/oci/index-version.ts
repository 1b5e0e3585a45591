/**
 * What a manifest pushed by tag becomes as a Cairn version: its files, kind and dataset layers.
 * An image manifest: its layers (manifests.ts `layerFiles`). An image index (a multi-platform
 * model, an artifact index) too, so its tag moves through the same publish as any tag
 * (compare-and-swap, history, audit, `promote`, provenance policy): its files are the layers of
 * the image manifests it lists, each under a directory named for that manifest's platform
 * (`linux-amd64/weights.bin`, `linux-arm64-v8/…`), or `sha256-<12 hex>/` when it has none or
 * shares its platform with another entry (e.g. buildx's `unknown/unknown` attestation manifests).
 *
 * Refused, with the reason (`MANIFEST_INVALID`), rather than guessed:
 *   - an index that lists another index (flattening would hide a level the client chose);
 *   - an index of more than MAX_INDEX_CHILDREN manifests (each is read to find its layers).
 * The listed manifests are stored blobs of their declared size (checked before this runs), at
 * most MAX_MANIFEST_BYTES each, so reading them is bounded.
 */
import type { Digest } from '../../contract/grammar';
import type { Deps } from '../../deps';
import type { Failure, Result } from '../result';
import {
  type Descriptor,
  MAX_MANIFEST_BYTES,
  type ManifestInvalid,
  type ParsedManifest,
  parseManifest,
} from './manifest-format';

/** Listed manifests an index may have to become a version (each one is read). */
export const MAX_INDEX_CHILDREN = 64;

export interface VersionFile {
  path: string;
  digest: Digest;
  size: number;
}

/** The files and, for kind and lineage, the layers a pushed manifest's version holds. */
export interface VersionContent {
  files: VersionFile[];
  layers: Descriptor[];
  /** For the kind: the manifest's own, or for an index its own else its first manifest's. */
  artifactType: string | null;
}

type Platform = { os?: unknown; architecture?: unknown; variant?: unknown };

/** `os-arch[-variant]`, path-safe; null without a platform. */
function platformDir(child: Descriptor): string | null {
  const p = (child as Descriptor & { platform?: Platform }).platform;
  if (!p || typeof p.os !== 'string' || typeof p.architecture !== 'string') return null;
  const parts = [p.os, p.architecture, ...(typeof p.variant === 'string' ? [p.variant] : [])];
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 100);
}

/** A layer list as files: the same layer twice is one file (two under one title: publish refuses). */
export function layerFiles(
  layers: readonly Descriptor[],
  path: (layer: Descriptor) => string,
): VersionFile[] {
  const byPath = new Map<string, VersionFile>();
  for (const layer of layers) {
    const at = path(layer);
    const seen = byPath.get(at);
    if (seen && seen.digest === layer.digest) continue;
    byPath.set(seen ? `${at}\u0000${layer.digest}` : at, {
      path: at,
      digest: layer.digest,
      size: layer.size,
    });
  }
  return [...byPath.values()];
}

/** The layers of each image manifest an index lists, with the directory each goes under. */
export async function indexContent(
  deps: Deps,
  index: ParsedManifest,
  layerPath: (layer: Descriptor) => string,
): Promise<Result<VersionContent, ManifestInvalid>> {
  const invalid = (problem: string): Failure<'manifest-invalid', { problem: string }> => ({
    ok: false,
    reason: 'manifest-invalid',
    problem,
  });
  if (index.children.length > MAX_INDEX_CHILDREN) {
    return invalid(
      `an index pushed by tag becomes a Cairn version, which reads every manifest it lists: at most ${MAX_INDEX_CHILDREN} (push it by digest to keep it OCI-only)`,
    );
  }
  const dirs = index.children.map(platformDir);
  const files: VersionFile[] = [];
  const layers: Descriptor[] = [];
  let artifactType = index.artifactType;
  for (const [k, child] of index.children.entries()) {
    if (child.size > MAX_MANIFEST_BYTES) return invalid(`manifests.${k}: larger than a manifest may be`);
    const read = await deps.blobs.get(child.digest);
    if (!read) throw new Error(`manifest ${child.digest} is a stored blob without bytes`);
    const parsed = parseManifest(
      new Uint8Array(await new Response(read.body).arrayBuffer()),
      child.mediaType,
    );
    if (!parsed.ok) return invalid(`manifests.${k} (${child.digest}): ${parsed.problem}`);
    if (parsed.kind === 'index') {
      return invalid(
        `manifests.${k} is itself an index: a nested index does not become a Cairn version (push it by digest to keep it OCI-only)`,
      );
    }
    const dir = dirs[k] ?? null;
    const unique = dir !== null && dirs.indexOf(dir) === dirs.lastIndexOf(dir);
    const prefix = unique ? dir : `sha256-${child.digest.slice(7, 19)}`;
    files.push(...layerFiles(parsed.layers, (layer) => `${prefix}/${layerPath(layer)}`));
    layers.push(...parsed.layers);
    artifactType ??= parsed.artifactType;
  }
  return { ok: true, files, layers, artifactType };
}
