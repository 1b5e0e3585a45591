/**
 * The closed set of API error codes and the HTTP status each one answers with (docs/API.md
 * "Errors"): one table, so the server's ApiError, the client's CairnError and the docs cannot
 * disagree. `satisfies` makes it exhaustive both ways: a code without a status does not compile.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  DIGEST_INVALID: 400,
  DIGEST_MISMATCH: 400,
  SIZE_INVALID: 400,
  NAME_INVALID: 400,
  TAG_INVALID: 400,
  PART_INVALID: 400,
  PATH_INVALID: 400,
  REF_INVALID: 400,
  UPLOAD_INCOMPLETE: 400,
  KEY_INVALID: 400,
  PACK_INVALID: 400,
  RECIPE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  POLICY_UNSATISFIED: 403,
  NOT_FOUND: 404,
  BLOB_UNKNOWN: 404,
  UPLOAD_UNKNOWN: 404,
  TOKEN_UNKNOWN: 404,
  ARTIFACT_UNKNOWN: 404,
  VERSION_UNKNOWN: 404,
  TAG_UNKNOWN: 404,
  KEY_UNKNOWN: 404,
  UPLOAD_IN_PROGRESS: 409,
  BLOB_BUSY: 409,
  TAG_CONFLICT: 409,
  KIND_CONFLICT: 409,
  KEY_EXISTS: 409,
  UPLOAD_EXPIRED: 410,
  LENGTH_REQUIRED: 411,
  BLOB_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  REF_UNKNOWN: 422,
  SIZE_MISMATCH: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  SIGNATURE_INVALID: 422,
  SUBJECT_MISMATCH: 422,
  KEY_REVOKED: 422,
  CHUNK_DIGEST_MISMATCH: 422,
  CHUNK_UNKNOWN: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
} as const satisfies Record<
  string,
  400 | 401 | 403 | 404 | 409 | 410 | 411 | 413 | 415 | 416 | 422 | 429 | 500
>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** What every API error body says: `{"error":{"code","message","details"?,"requestId"?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; requestId?: string };
}
