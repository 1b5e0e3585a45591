/**
 * The HTTP side of the Git LFS API, which has its own conventions: the media type
 * `application/vnd.git-lfs+json`, errors as `{"message","request_id","documentation_url"}` (no
 * code), `LFS-Authenticate` on 401 (so git asks its credential helper, not a browser prompt) and
 * 422 for invalid requests. Routes throw `LfsError`; `renderLfsError` is the LFS sub-app's only
 * error renderer, and also turns the registry's own `ApiError`s (from shared code) into this shape.
 */
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';

export const LFS_MEDIA_TYPE = 'application/vnd.git-lfs+json';

/** Where a client reads about an error: the Git LFS API documents every status we answer. */
const SPEC = 'https://github.com/git-lfs/git-lfs/blob/main/docs/api';
export const BATCH_DOCS = `${SPEC}/batch.md`;
export const LOCKS_DOCS = `${SPEC}/locking.md`;

/** Batch, verify and lock bodies are small: 1,000 objects are ~120 KB of JSON. */
export const MAX_LFS_BODY_BYTES = 1024 * 1024;

export class LfsError extends Error {
  override readonly name = 'LfsError';
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    /** Extra body fields (a 409 lock conflict carries the existing `lock`). */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function lfsUnauthorized(message: string): LfsError {
  return new LfsError(401, message, {}, { 'LFS-Authenticate': 'Basic realm="cairn"' });
}

/** A JSON answer in the LFS media type. */
export function lfsJson(c: Context<AppEnv>, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(body), status, { 'Content-Type': LFS_MEDIA_TYPE });
}

function docsFor(path: string): string {
  return /\/locks(\/|$)/.test(path) ? LOCKS_DOCS : BATCH_DOCS;
}

function toLfsError(err: unknown): LfsError | null {
  if (err instanceof LfsError) return err;
  if (err instanceof ApiError) return new LfsError(err.status, err.message, {}, err.headers ?? {});
  if (err instanceof HTTPException && err.status < 500) {
    return new LfsError(err.status as ContentfulStatusCode, err.message || 'bad request');
  }
  return null;
}

/** The LFS sub-app's `onError`: the spec's error shape, never a stack or an internal message. */
export function renderLfsError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId');
  let lfs = toLfsError(err);
  if (!lfs) {
    console.error(JSON.stringify({ requestId, error: String(err), stack: err.stack }));
    lfs = new LfsError(500, 'internal error; quote the request id when reporting it');
  }
  const res = lfsJson(
    c,
    { ...lfs.extra, message: lfs.message, request_id: requestId, documentation_url: docsFor(c.req.path) },
    lfs.status,
  );
  for (const [k, v] of Object.entries(lfs.headers)) res.headers.set(k, v);
  if (lfs.status === 401 && !res.headers.has('LFS-Authenticate')) {
    res.headers.set('LFS-Authenticate', 'Basic realm="cairn"');
  }
  if (requestId) res.headers.set('X-Request-Id', requestId);
  return res;
}

/** 406 unless the client accepts our media type (no Accept header: anything goes). */
export function assertAcceptsLfs(accept: string | undefined): void {
  if (!accept) return;
  const ok = accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return (
      type === LFS_MEDIA_TYPE || type === 'application/json' || type === 'application/*' || type === '*/*'
    );
  });
  if (!ok) throw new LfsError(406, `the Accept header must allow ${LFS_MEDIA_TYPE}`);
}

/** Refuses bodies over the cap before they are read (chunked ones included). */
export const lfsBodyLimit = bodyLimit({
  maxSize: MAX_LFS_BODY_BYTES,
  onError: () => {
    throw new LfsError(413, `an LFS request body is at most ${MAX_LFS_BODY_BYTES} bytes`);
  },
});

/**
 * The request body, parsed and checked: 415 for another media type, 400 for malformed JSON,
 * 422 (with the first problem named) when it does not match `schema`. No body reads as `{}`
 * (an unlock without options).
 */
export async function readLfsBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.length > 0) {
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== LFS_MEDIA_TYPE && type !== 'application/json') {
      throw new LfsError(415, `send the body as JSON with "Content-Type: ${LFS_MEDIA_TYPE}"`, {
        content_type: type || null,
      });
    }
    try {
      raw = JSON.parse(text);
    } catch {
      throw new LfsError(400, 'the body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `"${issue.path.join('.')}": ` : '';
    throw new LfsError(422, `invalid request: ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Query parameters checked against `schema` (422 on a bad value, like a body). */
export function readLfsQuery<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LfsError(422, `invalid query parameter "${issue?.path.join('.')}": ${issue?.message}`);
  }
  return parsed.data;
}
