/**
 * Hashing a recipe's bytes as the server stores them: the chunks are read from their packs in
 * file order (neighbours in one pack coalesced into one range read, the next read opened while
 * the current one is hashed), streamed through ResumableSha256, never held whole. The state is
 * captured at every checkpoint (services/chunks/checkpoints.ts), and hashing stops at the first
 * checkpoint past the request's budget (unless little is left), so the next request resumes there.
 */
import type { Deps } from '../../deps';
import type { ResumableSha256 } from '../../lib/resumable-sha256';
import { bytePieces } from '../../lib/stream-pieces';
import { coalesce, type PackRun } from '../../storage/chunked-blob-store';
import type { Checkpoint, SavedCheckpoint } from './checkpoints';

export interface LocatedChunk {
  packId: string;
  packOffset: number;
  length: number;
}

export interface HashProgress {
  /** Every chunk was hashed: `hasher` holds the whole file's state. */
  complete: boolean;
  /** Bytes hashed by this call. */
  hashedBytes: number;
  /** Bytes of the file the hasher has seen (where the next call would start). */
  through: number;
  /** States captured at the checkpoints passed. */
  saved: SavedCheckpoint[];
}

/**
 * Hashes chunks `from`… of `chunks` into `hasher`, capturing states at `checkpoints` (sorted, all
 * after `from`), and stops at the first checkpoint once `budget` bytes were hashed.
 */
export async function hashChunks(
  deps: Deps,
  chunks: readonly LocatedChunk[],
  from: { index: number; offset: number },
  hasher: ResumableSha256,
  checkpoints: readonly Checkpoint[],
  budget: number,
): Promise<HashProgress> {
  const progress: HashProgress = { complete: false, hashedBytes: 0, through: from.offset, saved: [] };
  let nextPoint = 0;
  const end = chunks.slice(from.index).reduce((sum, c) => sum + c.length, from.offset);
  const runs: PackRun[] = [];
  for await (const run of coalesce(chunks.slice(from.index))) runs.push(run);

  const open = (run: PackRun | undefined) => {
    if (!run) return null;
    const body = deps.blobs.packs.get(run.packId, { offset: run.packOffset, length: run.length });
    body.catch(() => undefined);
    return body;
  };
  let ahead = open(runs[0]);
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r] as PackRun;
    const body = await ahead;
    ahead = open(runs[r + 1]);
    if (!body) throw new Error(`pack ${run.packId} is missing bytes a live chunk needs`);
    let stopped = false;
    for await (const bytes of bytePieces(body)) {
      let at = 0;
      while (at < bytes.length && !stopped) {
        const point = checkpoints[nextPoint];
        const take = point ? Math.min(bytes.length - at, point.end - progress.through) : bytes.length - at;
        hasher.update(bytes.subarray(at, at + take));
        at += take;
        progress.through += take;
        progress.hashedBytes += take;
        if (point && progress.through === point.end) {
          progress.saved.push({ ...point, state: hasher.serialize() });
          nextPoint += 1;
          // Past the budget, stop here, unless what is left is small: one request more for the
          // last quarter-budget would cost more than hashing it now.
          stopped = progress.hashedBytes >= budget && end - progress.through > budget / 4;
        }
      }
      if (stopped) break;
    }
    if (stopped) {
      await (await ahead?.catch(() => null))?.cancel();
      return progress;
    }
  }
  progress.complete = true;
  return progress;
}
