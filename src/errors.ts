/**
 * The closed set of API error codes, their HTTP statuses, and the one error type handlers throw.
 * Only the app's `onError` renders errors, in the shape of the API contract:
 *   {"error":{"code":"UPPER_SNAKE","message":"…","details":{…},"requestId":"…"}}
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'DIGEST_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SIZE_INVALID'
  | 'NAME_INVALID'
  | 'TAG_INVALID'
  | 'PART_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'BLOB_UNKNOWN'
  | 'UPLOAD_UNKNOWN'
  | 'TOKEN_UNKNOWN'
  | 'UPLOAD_IN_PROGRESS'
  | 'UPLOAD_INCOMPLETE'
  | 'UPLOAD_EXPIRED'
  | 'LENGTH_REQUIRED'
  | 'BLOB_TOO_LARGE'
  | 'PAYLOAD_TOO_LARGE'
  | 'RANGE_NOT_SATISFIABLE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'INTERNAL_ERROR';

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'BAD_REQUEST':
    case 'DIGEST_INVALID':
    case 'DIGEST_MISMATCH':
    case 'SIZE_INVALID':
    case 'NAME_INVALID':
    case 'TAG_INVALID':
    case 'PART_INVALID':
    case 'UPLOAD_INCOMPLETE':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'DENIED':
      return 403;
    case 'NOT_FOUND':
    case 'BLOB_UNKNOWN':
    case 'UPLOAD_UNKNOWN':
    case 'TOKEN_UNKNOWN':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'UPLOAD_IN_PROGRESS':
      return 409;
    case 'UPLOAD_EXPIRED':
      return 410;
    case 'LENGTH_REQUIRED':
      return 411;
    case 'BLOB_TOO_LARGE':
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'RANGE_NOT_SATISFIABLE':
      return 416;
    case 'INTERNAL_ERROR':
      return 500;
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ContentfulStatusCode;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers (WWW-Authenticate, Content-Range, Retry-After…). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = statusOf(code);
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; requestId?: string };
}

export function errorBody(err: ApiError, requestId?: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
      ...(requestId ? { requestId } : {}),
    },
  };
}
