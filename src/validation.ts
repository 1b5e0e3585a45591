/**
 * Shared zod schemas for the API's conventions and the one validator used by every route.
 * A schema that maps to a specific API error code carries it in the issue's `params.code`;
 * the hook renders the first such code (or BAD_REQUEST) with every issue in `details`.
 */
import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import { z } from 'zod';
import { ApiError, type ErrorCode } from './errors';
import { type Digest, isDigest } from './lib/digest';

function coded<T>(check: (v: unknown) => v is T, code: ErrorCode, message: string) {
  return z.custom<T>(check, { message, params: { code } });
}

export const digestSchema = coded<Digest>(
  isDigest,
  'DIGEST_INVALID',
  'digest must be "sha256:" followed by 64 lowercase hex characters',
);

export const SEGMENT_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const segmentSchema = coded<string>(
  (v): v is string => typeof v === 'string' && SEGMENT_RE.test(v),
  'NAME_INVALID',
  'names are lowercase [a-z0-9][a-z0-9._-]{0,63}',
);

export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const tagSchema = coded<string>(
  (v): v is string => typeof v === 'string' && TAG_RE.test(v),
  'TAG_INVALID',
  'tags are [A-Za-z0-9_][A-Za-z0-9._-]{0,127}',
);

/** `?limit=&cursor=` for every list route (contract: default 50, max 500). */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional(),
});

type Issue = z.core.$ZodIssue;

function codeOf(issue: Issue): ErrorCode | undefined {
  if (issue.code === 'custom') return (issue.params as { code?: ErrorCode } | undefined)?.code;
  return undefined;
}

export function validationError(issues: readonly Issue[], where: string): ApiError {
  const coded = issues.find(codeOf);
  const first = coded ?? issues[0];
  const path = first?.path.join('.') || where;
  return new ApiError(
    (coded && codeOf(coded)) || 'BAD_REQUEST',
    `${where} ${path ? `field "${path}"` : ''}: ${first?.message ?? 'invalid'}`.replace(/\s+/g, ' '),
    { issues: issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) },
  );
}

/** zValidator with our error shape: handlers only ever see valid input via `c.req.valid()`. */
export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw validationError(result.error.issues, target);
  });
}
