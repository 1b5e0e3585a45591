/**
 * Who is browsing. The UI takes the same tokens as the API: entered once on /ui/login and kept in
 * the `cairn_token` cookie (HttpOnly, SameSite=Strict, Secure over https), or sent as an
 * Authorization header like any API client. Every request re-validates the token with the API's
 * own check (`checkCredentials`, with the failed-authentication limiter), so a revoked or expired
 * token stops working at once and guessing through the UI is throttled like the API. Without a principal
 * (and without PUBLIC_READ) a page redirects to the login form, remembering where it was going.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { checkCredentials } from '../middleware/auth';
import { hasScope } from '../services/auth';
import { bouncePage } from './layout';
import { loginUrl, UI_ROOT } from './urls';

export const SESSION_COOKIE = 'cairn_token';
/** A session lasts as long as the token does, at most this long in the browser. */
const SESSION_MAX_AGE_SECONDS = 30 * 24 * 3600;

const isHttps = (c: Context) => new URL(c.req.url).protocol === 'https:';

export function startSession(c: Context<AppEnv>, token: string) {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    path: '/',
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
}

export function endSession(c: Context<AppEnv>) {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c), httpOnly: true, sameSite: 'Strict' });
}

/**
 * Where to go after logging in: only a path inside the UI of this origin (never `//evil`, a
 * scheme, or a backslash that some browsers read as a slash), else the artifact list.
 */
export function safeNext(c: Context, next: string | undefined): string {
  if (!next || next.length > 2048 || !next.startsWith('/ui') || /[\\\s]/.test(next)) return UI_ROOT;
  const origin = new URL(c.req.url).origin;
  const url = new URL(next, origin);
  if (url.origin !== origin || !/^\/ui(\/|$)/.test(url.pathname)) return UI_ROOT;
  return url.pathname + url.search;
}

export function uiAuth() {
  return createMiddleware<AppEnv>(async function uiAuth(c, next) {
    // The API's check, limiter included: a bad header or cookie counts as a failed attempt.
    const header = c.req.header('authorization');
    const result = await checkCredentials(c, header === undefined ? getCookie(c, SESSION_COOKIE) : undefined);
    const here = c.req.path + (new URL(c.req.url).search || '');
    if (!result.ok) {
      // A header is an API-style client: tell it plainly. A stale cookie: forget it, log in again.
      if (header !== undefined) throw new ApiError('UNAUTHORIZED', result.message);
      endSession(c);
      return c.redirect(loginUrl(safeNext(c, here)), 302);
    }
    const principal = result.principal;
    if (!principal && !c.var.deps.config.publicRead) {
      // SameSite=Strict cookies are not sent on a navigation that starts on another site (a link
      // shared in chat): hop once through this origin, which does send them, before asking to log in.
      if (c.req.header('sec-fetch-site') === 'cross-site' && c.req.method === 'GET') {
        return c.body(await bouncePage(safeNext(c, here)), 200, {
          'Content-Type': 'text/html; charset=utf-8',
        });
      }
      return c.redirect(loginUrl(safeNext(c, here)), 302);
    }
    if (principal && !hasScope(principal, 'read')) {
      throw new ApiError('DENIED', 'this token lacks the "read" scope', { required: 'read' });
    }
    c.set('principal', principal);
    await next();
  });
}
