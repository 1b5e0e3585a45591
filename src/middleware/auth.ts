/**
 * `authenticate()` resolves the caller once per request (401 at once for a bad token, even on
 * public routes, so a typo never silently downgrades to anonymous; 429 once a client or a
 * credential failed too often); `requireScope()` guards a route.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { runBatch } from '../db/client';
import type { Scope } from '../db/schema';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { sha256Hex } from '../lib/digest';
import { describesAccess } from '../openapi/describe';
import {
  type AuthResult,
  adminPrincipal,
  credentialFrom,
  hasScope,
  tokenLookup,
  tokenPrincipal,
} from '../services/auth';
import {
  knownClear,
  recordAuthFailure,
  rememberClear,
  retryAfter,
  throttleKeys,
  throttleLookup,
} from '../services/auth-throttle';
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
export async function checkCredentials(
  c: Context<AppEnv>,
  fallback?: string,
  /** A dialect's token spelling (the Hub's `hf_` prefix) mapped to the Cairn token it wraps. */
  unwrap: (credential: string) => string = (credential) => credential,
): Promise<Credentials> {
  const header = c.req.header('authorization');
  // An unreadable Authorization header is a failed attempt, never anonymous (nor the fallback).
  const presented = header === undefined ? fallback : credentialFrom(header);
  const credential = typeof presented === 'string' ? unwrap(presented) : presented;
  if (credential === undefined) return { ok: true, principal: null };
  const limits = {
    limit: c.var.deps.config.authFailureLimit,
    windowMs: c.var.deps.config.authFailureWindowMs,
  };
  const hash = await sha256Hex(credential ?? header ?? '');
  const keys = throttleKeys(
    clientIp((name) => c.req.header(name)),
    hash,
  );
  const admin = credential === null ? null : await adminPrincipal(c.env.ADMIN_TOKEN, credential);
  const lookUpToken = credential !== null && admin === null;
  const readCounters = !knownClear(c.var.deps, keys);
  // At most one round trip: the throttling counters (unless known clear) and the token row.
  const statements = [
    ...(readCounters ? [throttleLookup(keys)] : []),
    ...(lookUpToken ? [tokenLookup(hash)] : []),
  ];
  const results = statements.length > 0 ? await runBatch(c.var.deps.db, statements) : [];
  if (readCounters) {
    const wait = retryAfter(results[0] ?? [], limits);
    if (wait !== null) {
      throw new ApiError(
        'RATE_LIMITED',
        `too many failed authentications from this client or with this token; retry in ${wait} s`,
        { retryAfter: wait },
        { headers: { 'Retry-After': String(wait) } },
      );
    }
  }
  const result: AuthResult =
    credential === null
      ? { ok: false, reason: 'malformed' }
      : admin
        ? { ok: true, principal: admin }
        : await tokenPrincipal(hash, results.at(-1)?.[0]);
  if (result.ok) {
    rememberClear(c.var.deps, keys);
    return result;
  }
  await recordAuthFailure(c.var.deps, keys, limits);
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
  const guard = createMiddleware<AppEnv>(async function requireScope(c, next) {
    const principal = c.var.principal;
    if (!principal) {
      if (!(scope === 'read' && c.var.deps.config.publicRead)) {
        throw new ApiError('UNAUTHORIZED', 'this route needs a token: send "Authorization: Bearer <token>"');
      }
    } else if (!hasScope(principal, scope)) {
      throw new ApiError('DENIED', `this token lacks the "${scope}" scope`, { required: scope });
    }
    await next();
  });
  return describesAccess(guard, scope);
}

/** Any valid token (the route checks finer rules itself, e.g. which tags need `promote`). */
export function requireToken() {
  const guard = createMiddleware<AppEnv>(async function requireToken(c, next) {
    if (!c.var.principal) {
      throw new ApiError('UNAUTHORIZED', 'this route needs a token: send "Authorization: Bearer <token>"');
    }
    await next();
  });
  return describesAccess(guard, null);
}
