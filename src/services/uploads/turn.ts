/**
 * Waiting for a part's turn to be hashed, for clients that send parts in parallel. The fast path
 * (index.ts) hashes parts only while they arrive in order; one part arriving while another is
 * being hashed voids the state for good, and `complete` must then read the whole assembled object
 * back through SHA-256. `@huggingface/hub` sends five parts at once, always starting them in
 * order (a part starts only after every lower one has), so holding part n, body unread, until
 * part n-1 is hashed costs no throughput on a Worker (one thread hashes either way) and saves the
 * re-read: the bench measured it (test/bench/hf.mjs).
 *
 * The wait never decides correctness, only speed: it ends as soon as part n is claimable, the
 * state is void (nothing left to keep), or the session is no longer open; and it gives up when no
 * part has been in flight for IDLE_MS (a client sending parts out of order would otherwise wait on
 * a part that comes only after this one) or the state has not moved for STALL_MS (a claimant that
 * died keeps its claim). Then receivePart announces and writes as always.
 */
import { eq } from 'drizzle-orm';
import { uploads } from '../../db/schema';
import type { Deps } from '../../deps';

/** How long the hash state may sit with no part in flight before a waiting part gives up. */
export const IDLE_MS = 5_000;
/** How long it may sit unchanged with a part in flight (a slow link, or a claimant that died). */
export const STALL_MS = 120_000;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 100;
const FAR_POLL_MS = 400;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves when part `n` of `uploadId` should be received: 'turn' (it will be hashed in order) or
 * 'void' / 'closed' / 'idle' / 'stalled' (it will not, and waiting longer would not help).
 */
export async function awaitHashTurn(
  deps: Deps,
  uploadId: string,
  n: number,
): Promise<'turn' | 'void' | 'closed' | 'idle' | 'stalled'> {
  let pollMs = FIRST_POLL_MS;
  let changedAt = Date.now();
  let last = '';
  for (;;) {
    const row = await deps.db.query.uploads.findFirst({
      columns: { state: true, hashedThrough: true, hashClaim: true },
      where: eq(uploads.id, uploadId),
    });
    if (row?.state !== 'open') return 'closed';
    if (row.hashedThrough === -1 || row.hashedThrough >= n) return 'void';
    // Part n (or a later one) is claimed: this is a re-send of a part whose hashing request failed
    // (it keeps its claim) or a duplicate; its write voids the state whenever it comes, so now.
    if (row.hashClaim !== null && row.hashClaim >= n) return 'void';
    if (row.hashedThrough === n - 1 && row.hashClaim === null) return 'turn';
    const now = Date.now();
    const seen = `${row.hashedThrough}:${row.hashClaim}`;
    if (seen !== last) {
      last = seen;
      changedAt = now;
      pollMs = FIRST_POLL_MS;
    } else if (now - changedAt >= (row.hashClaim === null ? IDLE_MS : STALL_MS)) {
      return row.hashClaim === null ? 'idle' : 'stalled';
    }
    // Only the part right after the one being hashed can be next: the others poll slowly, so
    // five parts in flight cost a few D1 reads a second, not dozens.
    if (row.hashClaim === n - 1) {
      await sleep(pollMs);
      pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
    } else {
      await sleep(FAR_POLL_MS);
    }
  }
}
