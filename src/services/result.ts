/**
 * Services: one rule for expected failures
 *
 * A service is a function over `Deps` (src/deps.ts: `db`, `blobs`, `config`, `now`) that holds
 * the registry's logic and knows nothing of HTTP.
 *
 * - **Expected failures are values.** Anything a caller can cause or race into (a digest that does
 *   not match, a blob being collected, an upload that expired, a tag that moved meanwhile, a
 *   missing reference) is returned as `{ ok: false, reason: '…', …details }`, one `reason` per
 *   distinct failure, never folded into another (a size mismatch is not a digest mismatch).
 *   Success is `{ ok: true, … }`. Types live next to the service (`StoreResult`, `CompleteResult`…).
 * - **Routes map reasons to the API.** Each route turns a failure into Cairn's error (or the
 *   protocol's own: Git LFS, OCI) with a `switch (failure.reason)` whose `default` calls
 *   `unreachable(failure)` (src/lib/unreachable.ts), so the compiler proves every reason is
 *   handled, and a new reason cannot ship without its HTTP answer.
 * - **Throwing is for the unexpected**: a bug, a broken invariant, an infrastructure error. Those
 *   become `500 INTERNAL_ERROR` with a request id, and leave nothing half-written (every write is
 *   one D1 batch, or fenced so a retry finishes it).
 * - Authorization guards (scopes, namespaces, protected tags) and lookups that turn "not found"
 *   into a 404 live in the HTTP layer (`src/http/`), not here.
 */

/** A failure a caller can expect: a reason, and the details its HTTP answer needs. */
export type Failure<R extends string, D extends object = object> = { ok: false; reason: R } & D;

/** A service's answer: its value on success, one of its failures otherwise. */
export type Result<T extends object, F extends { ok: false; reason: string }> = ({ ok: true } & T) | F;
