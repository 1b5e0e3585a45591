/**
 * Multipart uploads for blobs above the single-request limit, on the blob store's multipart
 * uploads with the session in D1 so any request (and any client restart) can resume it. Three
 * phases, one module each: session.ts (start, resume, abort, expire), parts.ts (receive, hash in
 * order), completion.ts (lease, verify, register).
 *
 * Integrity story (docs/DESIGN.md):
 * 1. Parts are stored by R2 as they arrive; each part's size is checked against the plan, so the
 *    assembled size is known to be the declared size before assembly.
 * 2. `complete` first takes a lease on the session with one conditional UPDATE, so exactly one
 *    request assembles it; a crashed completer's lease runs out and a retry takes over. Parts are
 *    refused from then on (every part write first updates the session row, conditioned on
 *    `state = 'open'`, before its bytes go to R2).
 * 3. Parts sent in order are hashed as they stream through (the fast path, below). When all of
 *    them were, `complete` knows the digest before assembling: a mismatch aborts the R2 upload and
 *    nothing is ever written at the blob's key. Otherwise R2 assembles the object at the key and
 *    it is streamed back through SHA-256 (native DigestStream, constant memory).
 * 4. Only on a match does one D1 batch insert the `blobs` row (making the blob visible) and drop
 *    the session. On a mismatch the object is deleted; no row ever pointed at it.
 * One session per digest (a unique index) keeps two assemblies from writing the same key, and
 * while the lease is held a single PUT of the same digest may store bytes but cannot register
 * them (services/blobs.ts registerBlob): the lease check and the row insert are one statement,
 * so a row either exists before the lease (and `complete` sees it and never assembles) or waits
 * until the lease is gone. A mismatching assembly can therefore be deleted without ever
 * removing bytes that a visible row points to.
 *
 * The fast path: incremental hashing of in-order parts. The session keeps `hashState`, the
 * SHA-256 state (lib/resumable-sha256.ts) after its first `hashedThrough` parts (-1: void).
 * - Announce, then write. Before any byte of part n goes to R2, one conditional UPDATE of the
 *   session decides the request's role. If `hashedThrough = n-1` and no part is being hashed,
 *   the request claims part n (`hashClaim = n`). Otherwise it voids the state for good
 *   (`hashedThrough = -1`, claim cleared): out of order, a duplicate or re-send of a hashed part,
 *   a retry of a part whose hashing request died, or any part while another is being hashed.
 * - The claimant streams the body in 1 MiB reads through the hasher into a FixedLengthStream
 *   that R2's uploadPart consumes (backpressure end to end: at most two chunks in memory).
 *   Now and then (after 1 MiB, then at doubling intervals up to 8 MiB) it asks D1, without
 *   waiting, whether its claim still stands; once it does not (parts sent in parallel void the
 *   state at once), it stops hashing, which would be wasted CPU, and only streams.
 *   Only after R2 accepted the part does one D1 batch commit the new state and
 *   `hashedThrough = n` (compare-and-swap on `hashClaim = n AND hashedThrough = n-1`) and write
 *   the part row with `hashed` true iff that swap happened.
 * - `complete` takes the fast path only if its lease snapshot says `hashedThrough = partCount`
 *   and every part row is `hashed`. It finalizes the digest from the state, compares, and only
 *   then assembles, naming the hashed etags. If R2 reports the upload gone but an object of the
 *   right size is at the key (an earlier attempt assembled it, or so it seems), that object is
 *   re-hashed as before: only an assembly this request did is trusted unread.
 * Why the assembled bytes are exactly the hashed bytes: `hashedThrough` only ever moves from
 * n-1 to n by the claimant of n, a claim needs `hashedThrough = n-1` (so part n had no earlier
 * write: any earlier write of n voided the state) and no other claim, and any later write of a
 * part is announced first and voids the state (or, after the lease, is refused). D1 runs these
 * statements one at a time, so when the fast path is taken every part had exactly one write
 * since the session began, the hashed one, and no write can begin. R2 parts belong to the
 * session's own R2 upload id. This does not rely on R2 checking etags: Miniflare gives each part
 * write a random etag and refuses a superseded one on complete (test/unit/uploads-incremental
 * checks it), but R2's part etags are the MD5 of the bytes, so two writes with colliding MD5s
 * would look alike there. A voided state costs only speed: `complete` re-hashes, as it always did.
 */
export { COMPLETE_LEASE_MS, type CompleteFailure, type CompleteResult, completeUpload } from './completion';
export { expectedPartSize, type PartFailure, receivePart } from './parts';
export {
  abortUpload,
  type ExpiredUpload,
  expireStaleUploads,
  getUpload,
  planParts,
  type SessionFailure,
  type StartFailure,
  type StartResult,
  startUpload,
  type UnknownUpload,
} from './session';
export { awaitHashTurn } from './turn';
