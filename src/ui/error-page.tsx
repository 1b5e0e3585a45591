/**
 * Errors as pages: the API's closed set of codes and statuses (an ApiError from a service or a
 * validator keeps its status and message), an unknown error becomes a 500 that names only the
 * request id, as the API's onError does.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { Note } from './components';
import { page, type Status } from './layout';
import { listUrl } from './urls';

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException && err.status === 403) {
    // hono/csrf: a form posted from another origin.
    return new ApiError('DENIED', 'this form was not sent from this site');
  }
  if (err instanceof HTTPException && err.status < 500)
    return new ApiError('BAD_REQUEST', err.message || 'bad request');
  return new ApiError('INTERNAL_ERROR', 'something went wrong on our side');
}

const HEADINGS: Partial<Record<number, string>> = {
  400: 'That request is not valid',
  401: 'Not logged in',
  403: 'Not allowed',
  404: 'Not found',
  429: 'Too many attempts',
  500: 'Something went wrong',
};

export async function errorPage(err: unknown, c: Context<AppEnv>) {
  const apiError = toApiError(err);
  const requestId = c.get('requestId');
  if (apiError.code === 'INTERNAL_ERROR') {
    console.error(JSON.stringify({ requestId, error: String(err), stack: (err as Error)?.stack }));
  }
  const status = apiError.status as Status;
  const res = await page(
    c,
    HEADINGS[status] ?? 'Error',
    <>
      <h1>{HEADINGS[status] ?? 'Error'}</h1>
      <Note error>
        {apiError.message} <span class="muted">({apiError.code})</span>
      </Note>
      <p class="muted">Request id: {requestId}</p>
      <p>
        <a href={listUrl()}>Back to the artifacts</a>
      </p>
    </>,
    status,
  );
  // Retry-After on a throttled login, Content-Range on a bad download range…
  for (const [k, v] of Object.entries(apiError.headers ?? {})) res.headers.set(k, v);
  return res;
}

export function notFoundPage(c: Context<AppEnv>) {
  // `/ui/` and `/ui/artifacts/acme/x/`: people add slashes; the page exists without it.
  const path = c.req.path;
  if (c.req.method === 'GET' && path.length > 1 && path.endsWith('/') && !path.endsWith('//')) {
    return c.redirect(path.replace(/\/+$/, '') + new URL(c.req.url).search, 301);
  }
  return errorPage(new ApiError('NOT_FOUND', `no page at ${c.req.path}`), c);
}
