/**
 * `authenticate()` resolves the caller once per request (401 at once for a bad token, even on
 * public routes, so a typo never silently downgrades to anonymous; 429 once a client or a
 * credential failed too often); `requireScope()` guards a route.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Scope } from '../db/schema';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { type AuthResult, credentialFrom, hasScope, authenticate as resolve } from '../services/auth';
import { recordAuthFailure, throttledFor, throttleKeys } from '../services/auth-throttle';
import { clientIp } from './audit';

const REASONS = {
  malformed: 'Authorization must be "Bearer <token>" (or Basic with the token as password)',
  unknown: 'the token is not valid',
  expired: 'the token has expired',
} as const;

export type Credentials = Exclude<AuthResult, { ok: false }> | { ok: false; message: string };

/**
 * Checks the credential a request presents (`Authorization`, or `fallback`, e.g. the web UI's
 * cookie) with the failed-auth limiter: shared by the API, Git LFS and the web UI. Throws
 * 429 RATE_LIMITED when throttled; a refused credential comes back as `{ ok: false }` for the
 * caller to answer in its own dialect (API JSON, LFS JSON, a login page).
 */
export async function checkCredentials(c: Context<AppEnv>, fallback?: string): Promise<Credentials> {
  const header = c.req.header('authorization');
  // An unreadable Authorization header is a failed attempt, never anonymous (nor the fallback).
  const credential = header === undefined ? fallback : credentialFrom(header);
  if (credential === undefined) return { ok: true, principal: null };
  const limits = { limit: c.var.config.authFailureLimit, windowMs: c.var.config.authFailureWindowMs };
  const keys = await throttleKeys(
    clientIp((name) => c.req.header(name)),
    credential ?? header ?? '',
  );
  const [retryAfter, result] = await Promise.all([
    throttledFor(c.var.db, keys, limits),
    resolve(c.var.db, c.env.ADMIN_TOKEN, credential),
  ]);
  if (retryAfter !== null) {
    throw new ApiError(
      'RATE_LIMITED',
      `too many failed authentications from this client or with this token; retry in ${retryAfter} s`,
      { retryAfter },
      { headers: { 'Retry-After': String(retryAfter) } },
    );
  }
  if (result.ok) return result;
  await recordAuthFailure(c.var.db, keys, limits);
  return { ok: false, message: REASONS[result.reason] };
}

export function authenticate() {
  return createMiddleware<AppEnv>(async function authenticate(c, next) {
    const result = await checkCredentials(c);
    if (!result.ok) throw new ApiError('UNAUTHORIZED', result.message);
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
