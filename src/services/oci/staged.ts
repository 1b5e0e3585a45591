/**
 * The last step of an OCI upload (uploads.ts), once its staged bytes are known to hash to the
 * digest: under a write intent, the store adopts the staged chunks as the blob where they lie
 * (BlobStore `staging.adopt`: no second write of the bytes), or, for more chunks than it can
 * point at, they stream chunk by chunk into one verified `put`; then `registerBlob` makes them
 * visible (services/blobs.ts: the same fences against GC and multipart completions as every
 * write). Already stored: nothing is rewritten, and the uploader (who sent every byte) is
 * granted the blob.
 */
import { eq, sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import { runBatch } from '../../db/client';
import { type OciUploadRow, ociUploads } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Principal } from '../auth';
import { findBlob, grantStatements, registerBlob, releaseIntent, takeIntent } from '../blobs';
import type { OciCompleteResult } from './uploads';

/** Where chunk n of an upload is staged (BlobStore.staging). */
export const chunkKey = (id: string, n: number) => `${id}/${n}`;

/** The keys of an upload's `chunks` staged chunks, in order. */
export const stagedKeys = (id: string, chunks: number) =>
  Array.from({ length: chunks }, (_, k) => chunkKey(id, k + 1));

/**
 * The verified staged bytes of `row` become the blob `digest` (unless it is stored already).
 * `sessionGone`: the session row was deleted here (its chunks became the blob's, or were copied
 * and deleted), so the caller must not drop it again.
 */
export async function storeStaged(
  deps: Deps,
  row: OciUploadRow,
  digest: Digest,
  principal: Principal,
): Promise<{ result: OciCompleteResult; sessionGone: boolean }> {
  const kept = (result: OciCompleteResult) => ({ result, sessionGone: false });
  const stored = await findBlob(deps, digest);
  if (stored) {
    if (stored.size !== row.size)
      return kept({ ok: false, reason: 'size-mismatch', storedSize: stored.size });
    // The bytes were hashed in full here: a namespace-limited token has proved it holds them.
    await runBatch(deps.db, grantStatements(principal, digest, deps.now()));
    return kept({ ok: true, size: stored.size, created: false });
  }
  // A multipart assembly of the digest writes the same key: wait for it (the client retries).
  if (await assemblyInProgress(deps, digest)) return kept({ ok: false, reason: 'assembly-in-progress' });
  const intentId = await takeIntent(deps, digest, 'unless-deleting', { id: row.id, chunks: row.chunks });
  if (!intentId) return kept({ ok: false, reason: 'being-deleted' });
  const keys = stagedKeys(row.id, row.chunks);
  let sessionDropped = false;
  try {
    // From here the chunks are the blob's, not the session's: the row goes first, so an expiring
    // session can never delete bytes a blob points at. Until registerBlob deletes it, the intent
    // names the chunks: if this request dies (or fails) on the way, GC finds the intent a day
    // later and deletes them unless they became the blob (services/gc.ts).
    await deps.db.delete(ociUploads).where(eq(ociUploads.id, row.id));
    sessionDropped = true;
    const adopted = await deps.blobs.staging.adopt(digest, keys);
    if (!adopted.ok && adopted.reason === 'staging-missing')
      throw new Error(`upload ${row.id}: a staged chunk is missing`);
    if (adopted.ok && adopted.size !== row.size)
      throw new Error(`upload ${row.id}: ${adopted.size} bytes adopted, ${row.size} staged`);
    if (!adopted.ok) {
      await copyStaged(deps, row, digest);
      // The blob has its own copy now: the staged chunks are nobody's.
      await deps.blobs.staging.delete(keys);
    }
    const registered = await registerBlob(deps, digest, row.size, {
      intentId,
      principal,
      keepIntentUnlessStored: adopted.ok,
    });
    if (registered === 'assembly-in-progress')
      return { result: { ok: false, reason: registered }, sessionGone: true };
    // Another upload of the same digest may have adopted its own chunks at the blob's key after
    // ours: then ours are nobody's (release keeps them when the key still points at them). The
    // blob is stored either way, so a failure here only leaks them, and must not fail the push.
    if (adopted.ok) {
      await deps.blobs.staging.release(digest, keys).catch((err: unknown) => {
        console.error(JSON.stringify({ oci: 'staged-release', upload: row.id, error: String(err) }));
      });
    }
    return { result: { ok: true, size: row.size, created: registered === 'created' }, sessionGone: true };
  } catch (err) {
    // Past the session's row, the intent is all that still names the staged chunks: keep it.
    if (!sessionDropped) await releaseIntent(deps, intentId).catch(() => undefined);
    throw err;
  }
}

async function assemblyInProgress(deps: Deps, digest: Digest): Promise<boolean> {
  const [rows] = await runBatch(deps.db, [
    sql`SELECT 1 FROM uploads WHERE digest = ${digest} AND state = 'completing' AND lease_until > ${deps.now()}`,
  ]);
  return (rows ?? []).length > 0;
}

/**
 * More chunks than the store can point at: they stream, in order, into one verified `put` (the
 * second write adoption avoids).
 */
async function copyStaged(deps: Deps, row: OciUploadRow, digest: Digest): Promise<void> {
  const fixed = new FixedLengthStream(row.size);
  const [put] = await Promise.all([
    deps.blobs.put(digest, fixed.readable),
    pipeStaged(deps, row, fixed.writable),
  ]);
  if (!put.ok) throw new Error(`staged bytes of ${row.id} hashed to ${digest} but the store disagrees`);
}
/** Streams the staged chunks of `row`, in order, into `sink` (aborted on any failure). */
async function pipeStaged(deps: Deps, row: OciUploadRow, sink: WritableStream<Uint8Array>): Promise<void> {
  try {
    for (let n = 1; n <= row.chunks; n++) {
      const chunk = await deps.blobs.staging.get(chunkKey(row.id, n));
      if (!chunk) throw new Error(`upload ${row.id}: staged chunk ${n} is missing`);
      await chunk.pipeTo(sink, { preventClose: true, preventAbort: true });
    }
    await sink.close();
  } catch (err) {
    await sink.abort(err).catch(() => undefined);
    throw err;
  }
}
