/**
 * The OCI dialect of Cairn's one error table (src/contract/errors.ts): routes under /v2 throw the
 * same `ApiError`s as /v1, and this renderer answers them in the Distribution Spec's shape,
 *   {"errors":[{"code":"BLOB_UNKNOWN","message":"…","detail":{…}}]}
 * with the spec's codes. Which OCI code a Cairn code becomes can depend on what the request was
 * about (a BAD_REQUEST on a manifest PUT is MANIFEST_INVALID, on an upload BLOB_UPLOAD_INVALID):
 * that context is read from the path. The switch is exhaustive, so a new Cairn code cannot ship
 * without its OCI answer.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode } from '../../contract/errors';
import type { ApiError } from '../../errors';
import { unreachable } from '../../lib/unreachable';

/** The Distribution Spec v1.1 error codes ("Error Codes", code-1 … code-14). */
export type OciCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS';

/** What the failed request was about, from its path. */
export type OciContext = 'manifest' | 'upload' | 'blob' | 'other';

export function contextOf(path: string): OciContext {
  if (/\/manifests\/[^/]*$/.test(path)) return 'manifest';
  if (/\/blobs\/uploads\//.test(path)) return 'upload';
  if (/\/blobs\/[^/]*$/.test(path)) return 'blob';
  return 'other';
}

export function ociCodeOf(code: ErrorCode, context: OciContext): OciCode {
  switch (code) {
    case 'BAD_REQUEST':
    case 'PATH_INVALID':
    case 'REF_INVALID':
    case 'KIND_CONFLICT':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return context === 'manifest'
        ? 'MANIFEST_INVALID'
        : context === 'upload'
          ? 'BLOB_UPLOAD_INVALID'
          : 'UNSUPPORTED';
    case 'TAG_INVALID':
      return 'MANIFEST_INVALID';
    case 'DIGEST_INVALID':
    case 'DIGEST_MISMATCH':
      return 'DIGEST_INVALID';
    case 'SIZE_INVALID':
    case 'SIZE_MISMATCH':
    case 'BLOB_TOO_LARGE':
    case 'PAYLOAD_TOO_LARGE':
    case 'LENGTH_REQUIRED':
      return 'SIZE_INVALID';
    case 'NAME_INVALID':
      return 'NAME_INVALID';
    case 'PART_INVALID':
    case 'UPLOAD_INCOMPLETE':
    case 'UPLOAD_IN_PROGRESS':
      return 'BLOB_UPLOAD_INVALID';
    case 'RANGE_NOT_SATISFIABLE':
      return context === 'upload' ? 'BLOB_UPLOAD_INVALID' : 'SIZE_INVALID';
    case 'UNAUTHORIZED':
      return 'UNAUTHORIZED';
    case 'DENIED':
    case 'POLICY_UNSATISFIED':
    case 'SIGNATURE_INVALID':
    case 'SUBJECT_MISMATCH':
    case 'KEY_UNKNOWN':
    case 'KEY_REVOKED':
      return 'DENIED';
    case 'BLOB_UNKNOWN':
      return context === 'manifest' ? 'MANIFEST_BLOB_UNKNOWN' : 'BLOB_UNKNOWN';
    case 'REF_UNKNOWN':
      return 'MANIFEST_BLOB_UNKNOWN';
    case 'UPLOAD_UNKNOWN':
    case 'UPLOAD_EXPIRED':
      return 'BLOB_UPLOAD_UNKNOWN';
    case 'ARTIFACT_UNKNOWN':
      return 'NAME_UNKNOWN';
    case 'VERSION_UNKNOWN':
    case 'TAG_UNKNOWN':
      return 'MANIFEST_UNKNOWN';
    case 'TAG_CONFLICT':
    case 'BLOB_BUSY':
    case 'RATE_LIMITED':
      return 'TOOMANYREQUESTS';
    case 'NOT_FOUND':
    case 'TOKEN_UNKNOWN':
    case 'IDEMPOTENCY_KEY_REUSED':
    case 'KEY_INVALID':
    case 'KEY_EXISTS':
    case 'INTERNAL_ERROR':
    // Chunked uploads are not part of the OCI protocol: never answered on /v2.
    case 'PACK_INVALID':
    case 'RECIPE_INVALID':
    case 'CHUNK_DIGEST_MISMATCH':
    case 'CHUNK_UNKNOWN':
      return 'UNSUPPORTED';
    default:
      return unreachable(code);
  }
}

/**
 * The status an OCI client expects: Cairn's, except that OCI has no 422 (an invalid manifest is
 * 400), an expired upload is simply unknown (404), and a busy blob or tag is "retry" (429).
 */
export function ociStatusOf(err: ApiError): ContentfulStatusCode {
  if (err.status === 422) return 400;
  if (err.status === 410) return 404;
  if (err.code === 'TAG_CONFLICT' || err.code === 'BLOB_BUSY') return 429;
  return err.status;
}

export interface OciErrorBody {
  errors: { code: OciCode; message: string; detail?: Record<string, unknown> }[];
}

export function ociErrorBody(err: ApiError, path: string, requestId?: string): OciErrorBody {
  const detail = { ...(err.details ?? {}), cairnCode: err.code, ...(requestId ? { requestId } : {}) };
  return { errors: [{ code: ociCodeOf(err.code, contextOf(path)), message: err.message, detail }] };
}

/** 405 for an operation the spec lets a registry refuse (blob DELETE): a protocol answer, not a Cairn failure. */
export function unsupportedBody(message: string): OciErrorBody {
  return { errors: [{ code: 'UNSUPPORTED', message }] };
}
