/**
 * The HTTP side of the Hugging Face Hub dialect (`/hf`). Errors: the Hub answers
 * `{"error":"…"}` with `X-Error-Code` / `X-Error-Message` headers, and its clients branch on the
 * code (`huggingface_hub` raises RepositoryNotFoundError, RevisionNotFoundError,
 * EntryNotFoundError; `@huggingface/hub`'s fileDownloadInfo returns null on `EntryNotFound`).
 * `renderHfError` is fed from the one error table: an ApiError keeps its status, and its code is
 * named in the Hub's words where the Hub has one, in Cairn's otherwise.
 *
 * Auth: the JS client refuses tokens that do not start with `hf_`, so here a Bearer token
 * `hf_<cairn token>` means `<cairn token>` (a bare Cairn token works too).
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { z } from 'zod';
import type { ErrorCode } from '../contract/errors';
import type { AppEnv } from '../env';
import { ApiError, toApiError } from '../errors';
import { checkCredentials } from '../middleware/auth';

const HUB_CODES: Partial<Record<ErrorCode, string>> = {
  ARTIFACT_UNKNOWN: 'RepoNotFound',
  VERSION_UNKNOWN: 'RevisionNotFound',
  TAG_UNKNOWN: 'RevisionNotFound',
};

/** The Hub's name for an error: NOT_FOUND is `EntryNotFound` only when it names a path in a repo. */
function hubCode(err: ApiError): string {
  if (err.code === 'NOT_FOUND') return err.details?.path === undefined ? 'NOT_FOUND' : 'EntryNotFound';
  return HUB_CODES[err.code] ?? err.code;
}

export function unwrapHfToken(credential: string): string {
  return credential.startsWith('hf_') ? credential.slice(3) : credential;
}

/** The `/hf` sub-app's `onError`. */
export function renderHfError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId');
  const apiError = toApiError(err);
  if (apiError.code === 'INTERNAL_ERROR') {
    console.error(JSON.stringify({ requestId, error: String(err), stack: err.stack }));
  }
  const res = c.json(
    { error: apiError.message, code: apiError.code, ...(apiError.details ?? {}) },
    apiError.status,
  );
  for (const [k, v] of Object.entries(apiError.headers ?? {})) res.headers.set(k, v);
  res.headers.set('X-Error-Code', hubCode(apiError));
  // Header values are ISO-8859-1: keep the message to printable ASCII.
  res.headers.set('X-Error-Message', apiError.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000));
  if (apiError.status === 401) res.headers.set('WWW-Authenticate', 'Bearer realm="cairn"');
  if (requestId) res.headers.set('X-Request-Id', requestId);
  return res;
}

/** Resolves the caller (Bearer `hf_<token>` or a Cairn token); 401 for a bad one, never anonymous. */
export const hfAuthenticate = createMiddleware<AppEnv>(async function hfAuthenticate(c, next) {
  const result = await checkCredentials(c, undefined, unwrapHfToken);
  // This exact message: `hf_raise_for_status` tells a bad token from a missing repo by it.
  if (!result.ok)
    throw new ApiError('UNAUTHORIZED', 'Invalid credentials in Authorization header', {
      reason: result.message,
    });
  c.set('principal', result.principal);
  await next();
});

/** A JSON body checked against `schema`: 400 BAD_REQUEST naming the first problem. */
export async function readHfJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError('BAD_REQUEST', 'the body is not valid JSON');
  }
  return parseWith(schema, raw, 'body');
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
    throw new ApiError('BAD_REQUEST', `invalid ${where}${at}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
