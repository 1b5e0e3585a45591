/**
 * File-level comparison of two manifests' file lists. Both lists are sorted by path (the manifest
 * is canonical), so one merge pass compares them: O(n + m), never a lookup per file, which keeps
 * a diff of two 100,000-file datasets close to the cost of reading them. Listed entries are
 * capped; counts are always exact.
 */
import type { FilesDiff } from '../../contract/diff';
import type { ManifestFile } from '../manifest';

export const MAX_LISTED = 1000;

export type { FilesDiff } from '../../contract/diff';

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortedByPath(files: readonly ManifestFile[]): readonly ManifestFile[] {
  for (let i = 1; i < files.length; i++) {
    if (byCodeUnits(files[i - 1]!.path, files[i]!.path) > 0)
      return [...files].sort((a, b) => byCodeUnits(a.path, b.path));
  }
  return files;
}

export function diffFiles(
  fromFiles: readonly ManifestFile[],
  toFiles: readonly ManifestFile[],
  max = MAX_LISTED,
): FilesDiff {
  const a = sortedByPath(fromFiles);
  const b = sortedByPath(toFiles);
  const out: FilesDiff = {
    changed: false,
    added: [],
    removed: [],
    modified: [],
    counts: { added: 0, removed: 0, modified: 0, unchanged: 0 },
    truncated: false,
  };
  const push = <T>(list: T[], item: T) => {
    if (list.length < max) list.push(item);
    else out.truncated = true;
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const order = !x ? 1 : !y ? -1 : byCodeUnits(x.path, y.path);
    if (order < 0) {
      out.counts.removed++;
      push(out.removed, x!);
      i++;
    } else if (order > 0) {
      out.counts.added++;
      push(out.added, y!);
      j++;
    } else {
      if (x!.digest === y!.digest) out.counts.unchanged++;
      else {
        out.counts.modified++;
        push(out.modified, {
          path: x!.path,
          from: { digest: x!.digest, size: x!.size },
          to: { digest: y!.digest, size: y!.size },
        });
      }
      i++;
      j++;
    }
  }
  out.changed = out.counts.added + out.counts.removed + out.counts.modified > 0;
  return out;
}
