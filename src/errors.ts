/**
 * The one error type handlers throw; its codes and their statuses are the contract's table
 * (src/contract/errors.ts). Only the app's `onError` renders errors, in the API's shape:
 *   {"error":{"code":"UPPER_SNAKE","message":"…","details":{…},"requestId":"…"}}
 */
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from './contract/errors';

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
    this.status = options.status ?? (ERROR_STATUS[code] satisfies ContentfulStatusCode);
    this.headers = options.headers;
  }
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

/** Any thrown value as an ApiError: Hono's own client errors keep their meaning, the rest is a 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    // Hono's own validators throw these (e.g. malformed JSON): a client error, never a 500.
    if (err.status === 413) return new ApiError('PAYLOAD_TOO_LARGE', err.message || 'request body too large');
    if (err.status < 500) return new ApiError('BAD_REQUEST', err.message || 'bad request');
  }
  return new ApiError('INTERNAL_ERROR', 'internal error; quote the request id when reporting it');
}
