/**
 * SHA-256 checkpoints at chunk boundaries: what lets the server verify a file that shares a
 * prefix with a stored one (the append case) by hashing only what is new, and a 10 GB file across
 * several requests (202 + resume).
 *
 * A checkpoint is the ResumableSha256 state after the bytes of chunks 0..i of a recipe. Chunks are
 * content-addressed (their bytes are fixed by their hash, checked when their pack arrived), so
 * that state is a function of the chunk list alone, and is keyed by `prefix`: the SHA-256 of a
 * domain tag and the (hash, length) index entries of chunks 0..i, in the pack index's encoding.
 * Any two recipes that start with the same chunks share their checkpoints, whatever file, request
 * or namespace they came from (a state reveals nothing a token could not compute from chunks it
 * was already allowed to name: the recipe check runs first).
 *
 * Checkpoints sit at the first boundary at or past each multiple of `interval` bytes (8 MiB):
 * positions that depend only on the prefix, so an appended file finds its original's checkpoints;
 * plus one before the last chunk (see checkpointPlan). A 10 GB file keeps ~1,300 of them
 * (~200 bytes each).
 */
import { sql } from 'drizzle-orm';
import { runBatch } from '../../db/client';
import type { Deps } from '../../deps';
import { ResumableSha256 } from '../../lib/resumable-sha256';

const DOMAIN = new TextEncoder().encode('cairn chunk prefix v1\n');
const ENTRY_BYTES = 36;

export interface RecipeChunk {
  hash: string;
  length: number;
}

export interface Checkpoint {
  /** The checkpoint sits after chunk `index`. */
  index: number;
  /** Bytes of the file before the boundary. */
  end: number;
  prefix: string;
}

export interface SavedCheckpoint extends Checkpoint {
  state: string;
}

/** Every prefix key of a recipe (key i: chunks 0..i) and where each chunk ends in the file. */
export interface PrefixIndex {
  keys: string[];
  ends: number[];
}

/** One pass over the recipe's index entries (~5 ms per 256 MiB file of 64 KiB chunks). */
export function prefixIndex(chunks: readonly RecipeChunk[]): PrefixIndex {
  const entry = new Uint8Array(ENTRY_BYTES);
  const view = new DataView(entry.buffer);
  const hasher = ResumableSha256.create().update(DOMAIN);
  const keys: string[] = [];
  const ends: number[] = [];
  let end = 0;
  for (const c of chunks) {
    for (let b = 0; b < 32; b++) entry[b] = Number.parseInt(c.hash.slice(2 * b, 2 * b + 2), 16);
    view.setUint32(32, c.length);
    hasher.update(entry);
    keys.push(hasher.digestHex());
    end += c.length;
    ends.push(end);
  }
  return { keys, ends };
}

/**
 * Where a recipe keeps checkpoints: the first boundary at or past each multiple of `interval`,
 * and the boundary before its last chunk (the *tail*): a file appended to later shares every
 * chunk but its last (a content-defined chunker re-cuts only the end), so its verification
 * resumes there and hashes only the old last chunk and what was appended.
 */
export function checkpointPlan(prefix: PrefixIndex, interval: number): Checkpoint[] {
  const plan: Checkpoint[] = [];
  let next = interval;
  const tail = prefix.ends.length - 2;
  prefix.ends.forEach((end, index) => {
    if (end >= next || index === tail) {
      plan.push({ index, end, prefix: prefix.keys[index] as string });
      if (end >= next) next = (Math.floor(end / interval) + 1) * interval;
    }
  });
  return plan;
}

/**
 * Boundaries looked at before the next planned position (tail checkpoints of other files): an
 * 8 MiB interval holds at most 512 chunks of FastCDC's 16 KiB minimum; recipes of smaller chunks
 * search the last 4,096 boundaries.
 */
const TAIL_SEARCH = 4096;

/**
 * The saved checkpoint furthest into the file, if any: first among the planned positions, then
 * at every boundary between the furthest planned match and the next planned position, where the
 * tail checkpoint of a file this one extends lies.
 */
export async function furthestCheckpoint(
  deps: Deps,
  prefix: PrefixIndex,
  plan: readonly Checkpoint[],
): Promise<{ point: Checkpoint; hasher: ResumableSha256 } | null> {
  const planned = await savedAt(deps, plan);
  const after = planned?.point.index ?? -1;
  const until = plan.find((p) => p.index > after)?.index ?? prefix.keys.length;
  // Nearest the next planned position first: the further a match, the less is left to hash.
  const between: Checkpoint[] = [];
  for (let index = until - 1; index > after && index >= until - TAIL_SEARCH; index--) {
    between.push({ index, end: prefix.ends[index] as number, prefix: prefix.keys[index] as string });
  }
  return (await savedAt(deps, between)) ?? planned;
}

async function savedAt(
  deps: Deps,
  points: readonly Checkpoint[],
): Promise<{ point: Checkpoint; hasher: ResumableSha256 } | null> {
  if (points.length === 0) return null;
  const byPrefix = new Map(points.map((p) => [p.prefix, p]));
  const rows = await deps.db.all<{ prefix: string; state: string }>(
    sql`SELECT prefix, state FROM chunk_checkpoints
        WHERE prefix IN (SELECT value FROM json_each(${JSON.stringify([...byPrefix.keys()])}))
        ORDER BY end_offset DESC`,
  );
  for (const row of rows) {
    const point = byPrefix.get(row.prefix);
    const hasher = ResumableSha256.restore(row.state);
    // A state from another hash-wasm build cannot be continued: fall back to an earlier one.
    if (point && hasher) return { point, hasher };
  }
  return null;
}

/** Statement saving checkpoints (first writer wins: equal prefixes have equal states). */
export function saveCheckpoints(deps: Deps, digest: string, saved: readonly SavedCheckpoint[]) {
  const json = JSON.stringify(saved.map((s) => [s.prefix, s.end, s.state]));
  return sql`INSERT INTO chunk_checkpoints (prefix, end_offset, state, digest, created_at)
             SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, ${digest}, ${deps.now()}
             FROM json_each(${json}) j WHERE true
             ON CONFLICT (prefix) DO NOTHING`;
}

/** Drops the checkpoints a failed verification of `digest` wrote (nothing of it is kept). */
export async function dropCheckpoints(deps: Deps, digest: string): Promise<void> {
  await runBatch(deps.db, [sql`DELETE FROM chunk_checkpoints WHERE digest = ${digest}`]);
}
