/**
 * A manifest split for the diff: every section parsed except the file list, which stays canonical
 * JSON text for files.ts to compare without building 100,000 objects a side.
 */
import type { Deps } from '../../deps';
import type { ManifestFile, ManifestV1 } from '../manifest';
import { readManifestText } from '../versions';
import { byCodeUnits } from './files';

export interface SplitManifest {
  /** Every section but the files, parsed. */
  manifest: Omit<ManifestV1, 'files'>;
  /** The `files` array's entries as canonical JSON, without the brackets (`{…},{…}`), or ''. */
  files: string;
}

/**
 * Canonical JSON sorts keys, so `files` comes after `artifact`, `code` and `environment`, whose
 * values are strings, a boolean and string records (schemas/): the first `"files":[` is the
 * top-level one, and its entries (flat objects, quotes in paths escaped) end at `],"inputs":[`.
 */
const FILES_OPEN = '"files":[';
const FILES_CLOSE = '],"inputs":[';

/** The entries of a file list as canonical JSON (keys in the order canonicalize writes them). */
export function filesText(files: readonly ManifestFile[]): string {
  return JSON.stringify(
    files.map(({ digest, path, size, table }) => ({
      digest,
      path,
      size,
      ...(table ? { table: { key: table.key } } : {}),
    })),
  ).slice(1, -1);
}

export function splitManifest(text: string): SplitManifest {
  const open = text.indexOf(FILES_OPEN);
  const start = open + FILES_OPEN.length;
  const end = open < 0 ? -1 : text.indexOf(FILES_CLOSE, start);
  if (end >= 0) {
    try {
      const { files, ...manifest } = JSON.parse(text.slice(0, start) + text.slice(end)) as ManifestV1;
      if (Array.isArray(files) && files.length === 0) return { manifest, files: text.slice(start, end) };
    } catch {}
  }
  // Not laid out as we write manifests (never expected): parse it all.
  const { files, ...manifest } = JSON.parse(text) as ManifestV1;
  return { manifest, files: filesText([...files].sort((a, b) => byCodeUnits(a.path, b.path))) };
}

export async function readSplitManifest(deps: Deps, digest: string): Promise<SplitManifest> {
  return splitManifest(await readManifestText(deps, digest));
}
