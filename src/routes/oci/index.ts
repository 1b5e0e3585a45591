/**
 * /v2: the OCI Distribution Spec v1.1 over Cairn's store (README "Use Cairn as an OCI registry").
 * A thin translation layer: the route modules parse and render, the services decide (the same
 * blobs, uploads, publish and tag services as /v1). This module owns what is OCI-wide:
 *   - authentication: HTTP Basic (any user name, a Cairn token as the password) or Bearer; a
 *     401 carries `WWW-Authenticate: Basic realm="cairn"`, which docker, podman, skopeo and oras
 *     answer with the credentials they were given;
 *   - errors in the OCI shape (errors.ts), from Cairn's one table;
 *   - `GET /v2/` (API version check) and the 404 / NAME_INVALID answer for anything else.
 */
import { type Context, Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../../env';
import { ApiError, toApiError } from '../../errors';
import { checkCredentials } from '../../middleware/auth';
import { ociBlobRoutes } from './blobs';
import { ociCatalogRoutes } from './catalog';
import { ociErrorBody, ociStatusOf } from './errors';
import { ociManifestRoutes } from './manifests';

export const OCI_CHALLENGE = 'Basic realm="cairn"';

function ociAuthenticate() {
  return createMiddleware<AppEnv>(async function ociAuthenticate(c, next) {
    const result = await checkCredentials(c);
    if (!result.ok) throw new ApiError('UNAUTHORIZED', result.message);
    c.set('principal', result.principal);
    c.header('Docker-Distribution-API-Version', 'registry/2.0');
    await next();
  });
}

/** `GET /v2/`: 200 once authenticated, else 401 with the challenge (how clients find out they must log in). */
function ping(c: Context<AppEnv>) {
  if (!c.var.principal) {
    throw new ApiError(
      'UNAUTHORIZED',
      'send a Cairn token: HTTP Basic (any user, the token as password) or Bearer',
    );
  }
  return c.json({});
}

/** A path that names a repository Cairn's grammar refuses (`a/b/c`, `UPPER/x`, `x`). */
const REPO_PATH_RE = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\//;

export const ociRoutes = new Hono<AppEnv>()
  .use('*', ociAuthenticate())
  .get('/', (c) => {
    if (!c.var.principal) {
      throw new ApiError(
        'UNAUTHORIZED',
        'send a Cairn token: HTTP Basic (any user, the token as password) or Bearer',
      );
    }
    return c.json({});
  })
  .route('/', ociCatalogRoutes)
  .route('/', ociBlobRoutes)
  .route('/', ociManifestRoutes)
  .all('*', (c) => {
    const path = new URL(c.req.url).pathname;
    // `/v2/` (what clients call) is not `/v2` to Hono's strict routing.
    if (path === '/v2/' && (c.req.method === 'GET' || c.req.method === 'HEAD')) return ping(c);
    const repo = REPO_PATH_RE.exec(path)?.[1];
    if (repo !== undefined) {
      throw new ApiError(
        'NAME_INVALID',
        `"${repo.slice(0, 200)}": Cairn repositories are ns/name (lowercase [a-z0-9][a-z0-9._-]{0,63} each)`,
      );
    }
    throw new ApiError('NOT_FOUND', `no route for ${c.req.method} ${path}`);
  })
  .onError((err, c) => {
    const apiError = toApiError(err);
    const requestId = c.get('requestId');
    if (apiError.code === 'INTERNAL_ERROR') {
      console.error(JSON.stringify({ requestId, error: String(err), stack: (err as Error)?.stack }));
    }
    const status = ociStatusOf(apiError);
    const res = c.json(ociErrorBody(apiError, new URL(c.req.url).pathname, requestId), status);
    for (const [k, v] of Object.entries(apiError.headers ?? {})) res.headers.set(k, v);
    if (status === 401) res.headers.set('WWW-Authenticate', OCI_CHALLENGE);
    res.headers.set('Docker-Distribution-API-Version', 'registry/2.0');
    return res;
  });
