/**
 * The running SHA-256 of an OCI upload (`oci_uploads.hash_state`). Most clients (skopeo, podman,
 * docker) send a layer as ONE chunk, so the first chunk is hashed natively (crypto.DigestStream,
 * several times the wasm hasher's speed) and the state is then the finished digest,
 * `done:<hex>`, which is all a completion needs. Only when a further chunk arrives is a
 * resumable state needed: it is rebuilt once by re-reading the chunks staged so far through the
 * resumable (wasm) hasher. A `done:` state is never continued blindly: a SHA-256 cannot be
 * resumed from its digest.
 */
import type { OciUploadRow } from '../../db/schema';
import type { Deps } from '../../deps';
import { toHex } from '../../lib/hex';
import { ResumableSha256 } from '../../lib/resumable-sha256';
import { chunkKey } from './staged';

const DONE = 'done:';

/**
 * What the chunk pumps feed: anything with update() (a resumable hasher, or the native one). A
 * caller that reuses the buffer it passed must await the result first (the native one hashes
 * asynchronously; the resumable one has already copied the bytes when it returns).
 */
export interface ByteSink {
  update(bytes: Uint8Array): unknown;
}

/** A native SHA-256 fed by update(); `state()` ends it and answers the `done:<hex>` state. */
export function nativeHash(): ByteSink & { state(): Promise<string> } {
  const stream = new crypto.DigestStream('SHA-256');
  const writer = stream.getWriter();
  let failed: unknown = null;
  return {
    update(bytes: Uint8Array) {
      // Resolves once these bytes are hashed; a failure is kept for state() to report.
      return writer.write(bytes).catch((err) => {
        failed = err;
      });
    },
    async state() {
      await writer.close();
      if (failed) throw failed;
      return `${DONE}${toHex(await stream.digest)}`;
    },
  };
}

/** The digest (hex) of everything staged so far. */
export async function stagedHex(deps: Deps, row: OciUploadRow): Promise<string> {
  if (row.hashState?.startsWith(DONE)) return row.hashState.slice(DONE.length);
  return (await resumable(deps, row)).digestHex();
}

/** A resumable hasher holding everything staged so far (rebuilt from the chunks after `done:`). */
export async function resumable(deps: Deps, row: OciUploadRow): Promise<ResumableSha256> {
  if (row.hashState === null) return ResumableSha256.create();
  if (!row.hashState.startsWith(DONE)) {
    const hasher = ResumableSha256.restore(row.hashState);
    if (!hasher) throw new Error(`upload ${row.id}: a hash state this build cannot continue`);
    return hasher;
  }
  const hasher = ResumableSha256.create();
  for (let n = 1; n <= row.chunks; n++) {
    const chunk = await deps.blobs.staging.get(chunkKey(row.id, n));
    if (!chunk) throw new Error(`upload ${row.id}: staged chunk ${n} is missing`);
    const reader = chunk.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hasher.update(value);
    }
  }
  return hasher;
}
