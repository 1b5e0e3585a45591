/**
 * First middleware: request id (echoed as `X-Request-Id`), the services' dependencies (deps.ts).
 */
import { createMiddleware } from 'hono/factory';
import { createDeps } from '../deps';
import type { AppEnv } from '../env';

export function requestContext() {
  return createMiddleware<AppEnv>(async function requestContext(c, next) {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    c.set('deps', createDeps(c.env));
    await next();
    c.header('X-Request-Id', requestId);
  });
}
