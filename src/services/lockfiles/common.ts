/**
 * Helpers every parser shares: PEP 503 name normalisation, the collector that turns
 * (name, version) pairs into the flat map (a name seen with several versions keeps them all,
 * sorted, so a change in any of them shows up and file order never does), and the size guard.
 */

/** PEP 503: lowercase, and every run of `-`, `_` and `.` becomes one `-`. */
export function normalisePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Separator between the versions of a package that a lockfile lists more than once. */
export const VERSION_SEPARATOR = ' | ';

export class PackageCollector {
  private readonly versions = new Map<string, Set<string>>();

  add(name: string, version: string): void {
    const seen = this.versions.get(name);
    if (seen) seen.add(version);
    else this.versions.set(name, new Set([version]));
  }

  get size(): number {
    return this.versions.size;
  }

  finish(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, set] of this.versions) {
      out.set(
        name,
        set.size === 1 ? set.values().next().value! : sortVersions([...set]).join(VERSION_SEPARATOR),
      );
    }
    return out;
  }
}

/**
 * Natural order for version strings ("1.9" before "1.10"): digit runs compare as numbers (by
 * length, then digits, so huge runs never overflow), everything else by UTF-16 code units.
 * Deterministic and linear in the strings' length; ties fall back to the raw strings.
 */
export function compareVersions(a: string, b: string): number {
  return compareKeys(versionKey(a), versionKey(b));
}

/** Sort with each string split once, not once per comparison. */
export function sortVersions(versions: string[]): string[] {
  return versions
    .map(versionKey)
    .sort(compareKeys)
    .map((k) => k.v);
}

interface VersionKey {
  v: string;
  key: string[];
}

function versionKey(v: string): VersionKey {
  // split() with a capture group puts the digit runs at odd indexes; leading zeros don't count.
  const key = v.split(/(\d+)/).map((part, i) => (i % 2 === 1 ? part.replace(/^0+(?=\d)/, '') : part));
  return { v, key };
}

function compareKeys(a: VersionKey, b: VersionKey): number {
  const pa = a.key;
  const pb = b.key;
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    if (i % 2 === 1 && x.length !== y.length) return x.length - y.length;
    return x < y ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
}

/** True when `text` is more than `limit` bytes once UTF-8 encoded, without encoding it. */
export function exceedsUtf8Bytes(text: string, limit: number): boolean {
  // Every UTF-16 code unit is at least one UTF-8 byte and at most three.
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
    if (bytes > limit) return true;
  }
  return false;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
