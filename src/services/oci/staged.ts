/**
 * The last step of an OCI upload (uploads.ts), once its staged bytes are known to hash to the
 * digest: they become the blob, streamed chunk by chunk into one verified `put` under a write
 * intent, and `registerBlob` makes them visible (services/blobs.ts: the same fences against GC
 * and multipart completions as every write). Already stored: nothing is rewritten, and the
 * uploader (who sent every byte) is granted the blob.
 */
import type { Digest } from '../../contract/grammar';
import { runBatch } from '../../db/client';
import type { OciUploadRow } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Principal } from '../auth';
import { findBlob, grantStatements, registerBlob, releaseIntent, takeIntent } from '../blobs';
import type { OciCompleteResult } from './uploads';

/** Where chunk n of an upload is staged (BlobStore.staging). */
export const chunkKey = (id: string, n: number) => `${id}/${n}`;

/** The verified staged bytes of `row` become the blob `digest` (unless it is stored already). */
export async function storeStaged(
  deps: Deps,
  row: OciUploadRow,
  digest: Digest,
  principal: Principal,
): Promise<OciCompleteResult> {
  const stored = await findBlob(deps, digest);
  if (stored) {
    if (stored.size !== row.size) return { ok: false, reason: 'size-mismatch', storedSize: stored.size };
    // The bytes were hashed in full here: a namespace-limited token has proved it holds them.
    await runBatch(deps.db, grantStatements(principal, digest, deps.now()));
    return { ok: true, size: stored.size, created: false };
  }
  const intentId = await takeIntent(deps, digest);
  if (!intentId) return { ok: false, reason: 'being-deleted' };
  try {
    const fixed = new FixedLengthStream(row.size);
    const [put] = await Promise.all([
      deps.blobs.put(digest, fixed.readable),
      pipeStaged(deps, row, fixed.writable),
    ]);
    if (!put.ok) throw new Error(`staged bytes of ${row.id} hashed to ${digest} but the store disagrees`);
    const registered = await registerBlob(deps, digest, row.size, { intentId, principal });
    if (registered === 'assembly-in-progress') return { ok: false, reason: registered };
    return { ok: true, size: row.size, created: registered === 'created' };
  } catch (err) {
    await releaseIntent(deps, intentId).catch(() => undefined);
    throw err;
  }
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
