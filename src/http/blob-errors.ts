/** HTTP answers for blob failures that several routes share (blobs, uploads, publish). */

import type { Digest } from '../contract/grammar';
import { ApiError } from '../errors';

/** Seconds a writer should wait when garbage collection is deleting the digest it writes. */
export const BUSY_RETRY_SECONDS = 5;

export function blobBusy(digest: Digest): ApiError {
  return new ApiError(
    'BLOB_BUSY',
    `${digest} is being garbage-collected right now; retry in a few seconds and it will be stored anew`,
    { digest },
    { headers: { 'Retry-After': String(BUSY_RETRY_SECONDS) } },
  );
}

export function blobsMissing(missing: readonly string[], message: string): ApiError {
  return new ApiError(
    'BLOB_UNKNOWN',
    message,
    { missing: missing.slice(0, 1000), missingCount: missing.length },
    { status: 422 },
  );
}
