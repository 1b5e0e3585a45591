/**
 * Upload bodies must declare their length: R2 cannot store a stream of unknown length, and the
 * single-request limit is checked before a byte is read.
 */
import { ApiError } from '../errors';

export function requireContentLength(header: string | undefined, limit: number, what: string): number {
  if (header === undefined || header.trim() === '') {
    throw new ApiError(
      'LENGTH_REQUIRED',
      `${what} needs a Content-Length header (chunked bodies are refused)`,
    );
  }
  if (!/^\d{1,16}$/.test(header.trim())) {
    throw new ApiError('BAD_REQUEST', 'Content-Length must be a non-negative integer');
  }
  const length = Number(header);
  if (length > limit) {
    throw new ApiError(
      'BLOB_TOO_LARGE',
      `${what} is ${length} bytes; one request takes at most ${limit}. Use a multipart upload (POST /v1/uploads).`,
      { size: length, limit },
    );
  }
  return length;
}
