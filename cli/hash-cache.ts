/**
 * Digests of files already hashed, so that pushing an unchanged directory again reads only
 * metadata (what git's index and DVC's state do). An entry is trusted only if the file's device,
 * inode, size, mtime and ctime (nanoseconds) are all unchanged: ctime moves on every write and
 * cannot be set back by a user. Entries whose ctime is within RACY_MS of the hashing are not
 * stored ("racily clean", as git says: a write in the same clock tick would leave ctime alone),
 * so they are hashed again next time. Stored in `$XDG_CACHE_HOME/cairn/hashes.json` (else
 * `~/.cache/cairn`); `cairn push --rehash` ignores it. A corrupt or foreign file is ignored.
 */
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const VERSION = 1;
const RACY_MS = 2000;
/** Beyond this many entries the oldest are dropped (about 150 bytes each on disk). */
const MAX_ENTRIES = 500_000;

type Entry = [dev: string, ino: string, size: string, mtimeNs: string, ctimeNs: string, digest: string];

function hashCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'cairn', 'hashes.json');
}

const fingerprint = (s: BigIntStats) =>
  [String(s.dev), String(s.ino), String(s.size), String(s.mtimeNs), String(s.ctimeNs)] as const;

export class HashCache {
  private changed = false;

  private constructor(
    private readonly path: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  static async load(path = hashCachePath()): Promise<HashCache> {
    const entries = new Map<string, Entry>();
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as {
        version?: number;
        entries?: [string, Entry][];
      };
      if (parsed.version === VERSION && Array.isArray(parsed.entries)) {
        for (const [file, entry] of parsed.entries)
          if (Array.isArray(entry) && entry.length === 6) entries.set(file, entry);
      }
    } catch {}
    return new HashCache(path, entries);
  }

  /** The digest recorded for this exact file state, or null. */
  lookup(file: string, stats: BigIntStats): string | null {
    const entry = this.entries.get(file);
    if (!entry) return null;
    const now = fingerprint(stats);
    return now.every((v, i) => v === entry[i]) ? entry[5] : null;
  }

  /** Records a digest computed from the file in state `stats`, read starting at `hashedAtMs`. */
  record(file: string, stats: BigIntStats, digest: string, hashedAtMs: number): void {
    if (Number(stats.ctimeNs / 1_000_000n) > hashedAtMs - RACY_MS) return;
    this.entries.delete(file); // re-inserted last: the newest entries survive the cap
    this.entries.set(file, [...fingerprint(stats), digest]);
    this.changed = true;
  }

  /** Writes the cache if anything was recorded (temp file + rename: never half-written). */
  async save(): Promise<void> {
    if (!this.changed) return;
    const all = [...this.entries];
    const kept = all.length > MAX_ENTRIES ? all.slice(all.length - MAX_ENTRIES) : all;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ version: VERSION, entries: kept }));
    await rename(temp, this.path);
  }
}
