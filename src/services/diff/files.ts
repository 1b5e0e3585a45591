/**
 * File-level comparison of two manifests' file lists, read straight from the manifests' canonical
 * JSON text (see manifest-text.ts) instead of 100,000 parsed objects a side: parsing is what made
 * a big diff cost 3–6× reading the manifests. Both lists are sorted by path (the manifest is
 * canonical), so one merge pass compares them, and a run of identical entries is identical text,
 * skipped at memcmp speed by native string equality; only the entries that differ are decoded.
 * Listed entries are capped; counts are always exact.
 */
import type { FilesDiff } from '../../contract/diff';
import type { ManifestFile } from '../manifest';

export const MAX_LISTED = 1000;

export type { FilesDiff } from '../../contract/diff';

/**
 * How every entry of a canonical file list starts (keys sorted: digest, path, size). It cannot
 * occur inside an entry: a path's quotes are escaped, and its closing quote is followed by `,"size"`.
 */
const ENTRY = '{"digest":"';
const PATH_KEY = '","path":"';
const SIZE_KEY = '","size":';

/** One entry of the text, decoded: the file and where the next entry starts (or the text ends). */
interface Entry {
  file: ManifestFile;
  next: number;
}

/** A tabular file's `"table":{"key":[…]}` follows its size: strings may hold braces, so scan. */
const TABLE_KEY = ',"table":';

function objectEnd(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

function entryAt(text: string, at: number): Entry {
  const pathKey = text.indexOf(PATH_KEY, at);
  const sizeKey = text.indexOf(SIZE_KEY, pathKey);
  let end = text.indexOf('}', sizeKey);
  if (!text.startsWith(ENTRY, at) || pathKey < 0 || sizeKey < 0 || end < 0) {
    throw new Error(`not a canonical manifest file entry at ${at}`);
  }
  const comma = text.indexOf(',', sizeKey + SIZE_KEY.length);
  let table: ManifestFile['table'];
  if (comma >= 0 && comma < end && text.startsWith(TABLE_KEY, comma)) {
    const close = objectEnd(text, comma + TABLE_KEY.length);
    table = JSON.parse(text.slice(comma + TABLE_KEY.length, close)) as ManifestFile['table'];
    end = close;
  }
  const sizeEnd = table ? comma : end;
  // Canonical JSON escapes only `"`, `\` and control characters: without a `\`, the text is the path.
  const raw = text.slice(pathKey + PATH_KEY.length, sizeKey);
  // Keys in the manifest's order, so the answer reads as the parsed manifest's objects did.
  const file: ManifestFile = {
    digest: text.slice(at + ENTRY.length, pathKey),
    path: raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw,
    size: Number(text.slice(sizeKey + SIZE_KEY.length, sizeEnd)),
    ...(table ? { table } : {}),
  };
  return { file, next: end + 1 < text.length ? end + 2 : end + 1 };
}

/** Whether a[i, i + n) and b[j, j + n) are the same text (V8 compares flat strings like memcmp). */
const same = (a: string, i: number, b: string, j: number, n: number) =>
  a.slice(i, i + n) === b.slice(j, j + n);

/**
 * Length of the common prefix of a[i..] and b[j..]: the step doubles while chunks match, then
 * halves to find the first difference, so a megabyte-long identical run costs a few dozen
 * comparisons and about twice its length in memcmp.
 */
export function commonPrefix(a: string, i: number, b: string, j: number): number {
  const limit = Math.min(a.length - i, b.length - j);
  let n = 0;
  let step = 128;
  for (;;) {
    if (n >= limit) return limit;
    const s = Math.min(step, limit - n);
    if (!same(a, i + n, b, j + n, s)) {
      step = s;
      break;
    }
    n += s;
    step *= 2;
  }
  // The first difference is within the next `step` characters.
  while (step > 1) {
    const half = step >> 1;
    if (same(a, i + n, b, j + n, half)) {
      n += half;
      step -= half;
    } else step = half;
  }
  return n;
}

/** Number of entries in text[from..]. */
function countEntries(text: string, from: number): number {
  let n = 0;
  for (let at = text.indexOf(ENTRY, from); at >= 0; at = text.indexOf(ENTRY, at + ENTRY.length)) n++;
  return n;
}

export const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A diff with nothing in it yet. */
export function emptyFilesDiff(): FilesDiff {
  return {
    changed: false,
    added: [],
    removed: [],
    modified: [],
    counts: { added: 0, removed: 0, modified: 0, unchanged: 0 },
    truncated: false,
  };
}

/**
 * Compares two file lists given as the entries of canonical manifests' `files` arrays (the text
 * between the brackets, as splitManifest returns it).
 */
export function diffFiles(a: string, b: string, max = MAX_LISTED): FilesDiff {
  const out = emptyFilesDiff();
  const push = <T>(list: T[], item: T) => {
    if (list.length < max) list.push(item);
    else out.truncated = true;
  };
  /** Lists the entries of text[from..] (the other side has run out); returns how many there are. */
  const rest = (text: string, from: number, list: ManifestFile[]) => {
    let at = from;
    let n = 0;
    for (; at < text.length && list.length < max; n++) {
      const entry = entryAt(text, at);
      list.push(entry.file);
      at = entry.next;
    }
    const unlisted = countEntries(text, at);
    if (unlisted > 0) out.truncated = true;
    return n + unlisted;
  };

  // i and j: where the next entry of each side starts (or its length once it has run out).
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const n = commonPrefix(a, i, b, j);
    if (i + n === a.length || j + n === b.length) {
      // A side ends inside the common text, so at an entry's end: the other is at `,` or its end.
      i = Math.min(i + n + 1, a.length);
      j = Math.min(j + n + 1, b.length);
      break;
    }
    // Back to the start of the entry holding the first difference, the same offset on both sides.
    const skip = a.lastIndexOf(ENTRY, i + n) - i;
    if (skip < 0) throw new Error(`not a canonical manifest file entry at ${i}`);
    const x = entryAt(a, i + skip);
    const y = entryAt(b, j + skip);
    const order = byCodeUnits(x.file.path, y.file.path);
    if (order < 0) {
      out.counts.removed++;
      push(out.removed, x.file);
      i = x.next;
      j += skip;
    } else if (order > 0) {
      out.counts.added++;
      push(out.added, y.file);
      i += skip;
      j = y.next;
    } else {
      if (x.file.digest !== y.file.digest) {
        out.counts.modified++;
        push(out.modified, {
          path: x.file.path,
          from: {
            digest: x.file.digest,
            size: x.file.size,
            ...(x.file.table ? { table: x.file.table } : {}),
          },
          to: { digest: y.file.digest, size: y.file.size, ...(y.file.table ? { table: y.file.table } : {}) },
        });
      }
      i = x.next;
      j = y.next;
    }
  }
  out.counts.removed += rest(a, i, out.removed);
  out.counts.added += rest(b, j, out.added);
  // Every entry of `a` is removed, modified or unchanged.
  out.counts.unchanged = countEntries(a, 0) - out.counts.removed - out.counts.modified;
  out.changed = out.counts.added + out.counts.removed + out.counts.modified > 0;
  return out;
}
