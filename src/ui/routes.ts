/**
 * The web UI under /ui: server-rendered pages over the same services and rules as the API (no
 * HTTP self-calls, the same principals and namespace limits), plus `GET /` → `/ui`.
 *
 * Order matters: security headers wrap everything; the stylesheet, login and logout answer
 * before the session check; every other page needs a principal (or PUBLIC_READ). Errors render
 * as pages (this sub-app's onError), unknown /ui paths as a 404 page.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { IMMUTABLE, NO_STORE } from '../http/caching';
import { apiReferencePage } from './api-page';
import { artifactPage } from './artifact-page';
import { artifactsPage } from './artifacts-page';
import { diffPage } from './diff-page';
import { errorPage, notFoundPage } from './error-page';
import { explainPage } from './explain-page';
import { downloadFile } from './file-download';
import { showLogin, showLogout, submitLogin, submitLogout } from './login-page';
import { uiAuth } from './session';
import { APP_CSS, CSS_FILE } from './styles';
import { UI_ROOT } from './urls';
import { versionPage } from './version-page';

/** No script at all; styles only from our own stylesheet; forms only to ourselves; no framing. */
export const UI_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function uiHeaders() {
  return createMiddleware<AppEnv>(async function uiHeaders(c, next) {
    await next();
    const h = c.res.headers;
    h.set('Content-Security-Policy', UI_CSP);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'same-origin');
    // Pages show private data: never stored by any cache unless a handler said otherwise.
    if (!h.has('Cache-Control')) h.set('Cache-Control', NO_STORE);
  });
}

const LOGIN_BODY_LIMIT = 16 * 1024;
const formLimit = bodyLimit({
  maxSize: LOGIN_BODY_LIMIT,
  onError: () => {
    throw new ApiError('PAYLOAD_TOO_LARGE', `a form is at most ${LOGIN_BODY_LIMIT} bytes`);
  },
});

export const uiRoutes = new Hono<AppEnv>()
  .use('*', uiHeaders())
  .get('/assets/:file', (c) => {
    if (c.req.param('file') !== CSS_FILE) return notFoundPage(c);
    return c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': IMMUTABLE });
  })
  .get('/login', showLogin)
  .post('/login', csrf(), formLimit, submitLogin)
  .get('/logout', showLogout)
  .post('/logout', csrf(), submitLogout)
  .use('*', uiAuth())
  .get('/', artifactsPage)
  .get('/artifacts/:ns/:name', artifactPage)
  .get('/artifacts/:ns/:name/versions/:sel', versionPage)
  .get('/artifacts/:ns/:name/versions/:sel/files/*', downloadFile)
  .get('/artifacts/:ns/:name/tags/:tag/explain', explainPage)
  .get('/diff', diffPage)
  .get('/api', apiReferencePage)
  .all('*', notFoundPage)
  .onError(errorPage);

/** `GET /`: people type the bare host; send them to the UI. */
export const uiRootRoutes = new Hono<AppEnv>().get('/', (c) => c.redirect(UI_ROOT, 302));
