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
  | 'PATH_INVALID'
  | 'REF_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'BLOB_UNKNOWN'
  | 'UPLOAD_UNKNOWN'
  | 'TOKEN_UNKNOWN'
  | 'ARTIFACT_UNKNOWN'
  | 'VERSION_UNKNOWN'
  | 'TAG_UNKNOWN'
  | 'REF_UNKNOWN'
  | 'SIZE_MISMATCH'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'TAG_CONFLICT'
  | 'KIND_CONFLICT'
  | 'UPLOAD_IN_PROGRESS'
  | 'BLOB_BUSY'
  | 'RATE_LIMITED'
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
    case 'PATH_INVALID':
    case 'REF_INVALID':
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
    case 'ARTIFACT_UNKNOWN':
    case 'VERSION_UNKNOWN':
    case 'TAG_UNKNOWN':
      return 404;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'UPLOAD_IN_PROGRESS':
    case 'BLOB_BUSY':
    case 'TAG_CONFLICT':
    case 'KIND_CONFLICT':
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
    case 'REF_UNKNOWN':
    case 'SIZE_MISMATCH':
    case 'IDEMPOTENCY_KEY_REUSED':
      return 422;
    case 'RANGE_NOT_SATISFIABLE':
      return 416;
    case 'RATE_LIMITED':
      return 429;
    case 'INTERNAL_ERROR':
      return 500;
  }
}

export interface ApiErrorOptions {
  /** Extra response headers (WWW-Authenticate, Content-Range, Retry-After…). */
  headers?: Record<string, string>;
  /**
   * Only where one code names both a missing resource (404) and a missing reference inside a
   * valid request (422): BLOB_UNKNOWN on publish, VERSION_UNKNOWN as a tag's target.
   */
  status?: 422;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.status = options.status ?? statusOf(code);
    this.headers = options.headers;
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
