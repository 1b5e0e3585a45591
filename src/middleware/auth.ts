/**
 * `authenticate()` resolves the caller once per request (401 at once for a bad token, even on
 * public routes, so a typo never silently downgrades to anonymous); `requireScope()` guards a route.
 */
import { createMiddleware } from 'hono/factory';
import type { Scope } from '../db/schema';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { credentialFrom, hasScope, authenticate as resolve } from '../services/auth';

const REASONS = {
  malformed: 'Authorization must be "Bearer <token>" (or Basic with the token as password)',
  unknown: 'the token is not valid',
  expired: 'the token has expired',
} as const;

export function authenticate() {
  return createMiddleware<AppEnv>(async function authenticate(c, next) {
    const result = await resolve(c.var.db, c.env.ADMIN_TOKEN, credentialFrom(c.req.header('authorization')));
    if (!result.ok) throw new ApiError('UNAUTHORIZED', REASONS[result.reason]);
    c.set('principal', result.principal);
    await next();
  });
}

export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async function requireScope(c, next) {
    const principal = c.var.principal;
    if (!principal) {
      if (!(scope === 'read' && c.var.config.publicRead)) {
        throw new ApiError('UNAUTHORIZED', 'this route needs a token: send "Authorization: Bearer <token>"');
      }
    } else if (!hasScope(principal, scope)) {
      throw new ApiError('DENIED', `this token lacks the "${scope}" scope`, { required: scope });
    }
    await next();
  });
}

/** Any valid token (the route checks finer rules itself, e.g. which tags need `promote`). */
export function requireToken() {
  return createMiddleware<AppEnv>(async function requireToken(c, next) {
    if (!c.var.principal) {
      throw new ApiError('UNAUTHORIZED', 'this route needs a token: send "Authorization: Bearer <token>"');
    }
    await next();
  });
}
