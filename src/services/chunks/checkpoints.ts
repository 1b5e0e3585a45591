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
 * positions that depend only on the prefix, so an appended file finds its original's checkpoints.
 * A 10 GB file keeps ~1,300 of them (~200 bytes each).
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

/** Where a recipe's checkpoints are and their keys (one pass over its index: ~20 ms per 10 GB). */
export function checkpointPlan(chunks: readonly RecipeChunk[], interval: number): Checkpoint[] {
  const index = new Uint8Array(chunks.length * ENTRY_BYTES);
  const view = new DataView(index.buffer);
  const plan: Checkpoint[] = [];
  let end = 0;
  let next = interval;
  chunks.forEach((c, i) => {
    const at = i * ENTRY_BYTES;
    for (let b = 0; b < 32; b++) index[at + b] = Number.parseInt(c.hash.slice(2 * b, 2 * b + 2), 16);
    view.setUint32(at + 32, c.length);
    end += c.length;
    if (end >= next) {
      plan.push({ index: i, end, prefix: '' });
      next = (Math.floor(end / interval) + 1) * interval;
    }
  });
  const hasher = ResumableSha256.create().update(DOMAIN);
  let hashed = 0;
  for (const point of plan) {
    const upTo = (point.index + 1) * ENTRY_BYTES;
    hasher.update(index.subarray(hashed, upTo));
    hashed = upTo;
    point.prefix = hasher.digestHex();
  }
  return plan;
}

/** The saved checkpoint furthest into the file among `plan`, if any. */
export async function furthestCheckpoint(
  deps: Deps,
  plan: readonly Checkpoint[],
): Promise<{ point: Checkpoint; hasher: ResumableSha256 } | null> {
  if (plan.length === 0) return null;
  const byPrefix = new Map(plan.map((p) => [p.prefix, p]));
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
