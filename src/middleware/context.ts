/**
 * First middleware: request id (echoed as `X-Request-Id`), parsed config and the D1 handle.
 */
import { createMiddleware } from 'hono/factory';
import { readConfig } from '../config';
import { createDb } from '../db/client';
import type { AppEnv } from '../env';

export function requestContext() {
  return createMiddleware<AppEnv>(async function requestContext(c, next) {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    c.set('config', readConfig(c.env));
    c.set('db', createDb(c.env.DB));
    await next();
    c.header('X-Request-Id', requestId);
  });
}
