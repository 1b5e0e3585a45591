/**
 * How the real middleware describes itself to the OpenAPI document (hono-openapi reads a
 * `uniqueSymbol` property off every handler in `app.routes`): `validate()` marks its middleware
 * with the very zod schema it validates with (so request parameters and bodies cannot drift from
 * what is enforced), `requireScope()`/`requireToken()` mark theirs with the security requirement
 * and the scope. Route files need no OpenAPI code of their own; what only a person can say
 * (summary, answers, error codes) lives in ./operations.ts.
 */
import type { ValidationTargets } from 'hono';
import { resolver, uniqueSymbol } from 'hono-openapi';
import type { z } from 'zod';
import type { Scope } from '../contract/tokens';

/** The name of the security scheme in `components.securitySchemes`. */
export const BEARER = 'bearerAuth';
/** The operation extension that names the token scope a route needs (`any`: any valid token). */
export const SCOPE_EXTENSION = 'x-cairn-scope';

/** Marks a validator middleware with its target and schema (request side: zod's input mode). */
export function describesInput<M extends object>(
  middleware: M,
  target: keyof ValidationTargets,
  schema: z.ZodType,
): M {
  return Object.assign(middleware, { [uniqueSymbol]: { target, ...resolver(schema) } });
}

/** Marks an access guard: a bearer token is needed, with `scope` (or any scope when null). */
export function describesAccess<M extends object>(middleware: M, scope: Scope | null): M {
  return Object.assign(middleware, {
    [uniqueSymbol]: { spec: { security: [{ [BEARER]: [] }], [SCOPE_EXTENSION]: scope ?? 'any' } },
  });
}

/** A response schema, rendered as the server sends it (zod's output mode: strict objects). */
export function responseSchema(schema: z.ZodType) {
  return resolver(schema, { options: { io: 'output' } });
}
