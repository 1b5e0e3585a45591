/**
 * createApp(): the whole registry as one Hono app, used by the Worker entry and by the tests.
 * Middleware order matters: context (request id, config, db) → drain unread bodies → audit log
 * (outside auth, so refused attempts are recorded) → auth.
 */
import { Hono } from 'hono';
import type { AppEnv } from './env';
import { ApiError, errorBody, toApiError } from './errors';
import { audit } from './middleware/audit';
import { authenticate } from './middleware/auth';
import { requestContext } from './middleware/context';
import { drainUnreadBody } from './middleware/drain-body';
import { openlineageHandOff } from './middleware/openlineage';
import { adminRoutes } from './routes/admin';
import { artifactRoutes } from './routes/artifacts';
import { auditRoutes } from './routes/audit';
import { blobRoutes } from './routes/blobs';
import { chunkRoutes } from './routes/chunks';
import { diffRoutes } from './routes/diff';
import { healthRoutes } from './routes/health';
import { hfRoutes } from './routes/hf';
import { keyRoutes } from './routes/keys';
import { lfsRoutes } from './routes/lfs';
import { lineageRoutes } from './routes/lineage';
import { manifestRoutes } from './routes/manifests';
import { ociRoutes } from './routes/oci';
import { openApiDocument, openApiRoutes } from './routes/openapi';
import { openlineageRoutes } from './routes/openlineage';
import { policyRoutes } from './routes/policy';
import { provenanceRoutes } from './routes/provenance';
import { recipeRoutes } from './routes/recipes';
import { resolveRoutes } from './routes/resolve';
import { tagRoutes } from './routes/tags';
import { tokenRoutes } from './routes/tokens';
import { uploadRoutes } from './routes/uploads';
import { versionRoutes } from './routes/versions';
import { uiRootRoutes, uiRoutes } from './ui/routes';

export function createApp() {
  const app = new Hono<AppEnv>();

  app.use('*', requestContext());
  app.use('*', drainUnreadBody());
  app.use('*', audit());
  app.use('/v1/*', authenticate());
  app.use('/v1/artifacts/*', openlineageHandOff());
  const openApi = openApiDocument(app);
  app.use('/ui/*', async function provideOpenApi(c, next) {
    c.set('openApi', openApi);
    await next();
  });

  app.route('/', uiRootRoutes);
  app.route('/ui', uiRoutes);
  app.route('/v1', healthRoutes);
  app.route('/v1/blobs', blobRoutes);
  app.route('/v1/blobs', recipeRoutes);
  app.route('/v1/chunks', chunkRoutes);
  app.route('/v1/uploads', uploadRoutes);
  app.route('/v1/tokens', tokenRoutes);
  app.route('/v1/audit', auditRoutes);
  app.route('/v1/admin', adminRoutes);
  app.route('/v1/manifests', manifestRoutes);
  app.route('/v1/artifacts', artifactRoutes);
  app.route('/v1/artifacts/:ns/:name/versions', versionRoutes);
  app.route('/v1/artifacts/:ns/:name/tags', tagRoutes);
  app.route('/v1', resolveRoutes);
  app.route('/v1', lineageRoutes);
  app.route('/v1', diffRoutes);
  app.route('/lfs', lfsRoutes);
  app.route('/v1/keys', keyRoutes);
  app.route('/v1/artifacts/:ns/:name/versions', provenanceRoutes);
  app.route('/v1/artifacts/:ns/:name/policy', policyRoutes);
  app.route('/v1/openlineage', openlineageRoutes);
  app.route('/v1', openApiRoutes(openApi));
  app.route('/v2', ociRoutes);
  app.route('/hf', hfRoutes);

  app.notFound((c) => {
    throw new ApiError('NOT_FOUND', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
  });

  app.onError((err, c) => {
    const apiError = toApiError(err);
    const requestId = c.get('requestId');
    if (apiError.code === 'INTERNAL_ERROR') {
      console.error(JSON.stringify({ requestId, error: String(err), stack: (err as Error)?.stack }));
    }
    const res = c.json(errorBody(apiError, requestId), apiError.status);
    for (const [k, v] of Object.entries(apiError.headers ?? {})) res.headers.set(k, v);
    if (apiError.status === 401) res.headers.set('WWW-Authenticate', 'Bearer realm="cairn"');
    if (requestId) res.headers.set('X-Request-Id', requestId);
    return res;
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
