/**
 * Shared zod schemas for the API's conventions (their grammar is src/contract/grammar.ts) and
 * the one validator used by every route.
 * A schema that maps to a specific API error code carries it in the issue's `params.code`;
 * the hook renders the first such code (or BAD_REQUEST) with every issue in `details`.
 */
import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { ErrorCode } from './contract/errors';
import {
  DIGEST_RE,
  DIGEST_RULE,
  type Digest,
  isDigest,
  isSegment,
  isSettableTag,
  isTag,
  NAME_RULE,
  parseRef,
  parseSelector,
  type Ref,
  SEGMENT_RE,
  type Selector,
  TAG_RE,
  TAG_RULE,
} from './contract/grammar';
import { ApiError } from './errors';
import { describesInput } from './openapi/describe';

/** `pattern` is for the OpenAPI document only (a custom check has no JSON Schema of its own). */
function coded<T>(check: (v: unknown) => v is T, code: ErrorCode, message: string, pattern: RegExp) {
  return z
    .custom<T>(check, { message, params: { code } })
    .meta({ type: 'string', pattern: pattern.source, description: message });
}

export const digestSchema = coded<Digest>(isDigest, 'DIGEST_INVALID', DIGEST_RULE, DIGEST_RE);

export const segmentSchema = coded<string>(isSegment, 'NAME_INVALID', NAME_RULE, SEGMENT_RE);

export const tagSchema = coded<string>(isTag, 'TAG_INVALID', TAG_RULE, TAG_RE);

/** A tag that can be set: not all digits, which a version URL would read as a number. */
export const settableTagSchema = coded<string>(
  isSettableTag,
  'TAG_INVALID',
  `${TAG_RULE} and not all digits (that would read as a version number)`,
  TAG_RE,
);

/** `{ns}/{name}` route params. */
export const artifactParams = z.object({ ns: segmentSchema, name: segmentSchema });

/** A version selector in a URL: number, tag or digest (the error names what was wrong). */
export const selectorSchema = z.string().transform((raw, ctx): Selector => {
  const parsed = parseSelector(raw);
  if (parsed.ok) return parsed.value;
  const code = raw.startsWith('sha256:')
    ? 'DIGEST_INVALID'
    : /^\d+$/.test(raw)
      ? 'BAD_REQUEST'
      : 'TAG_INVALID';
  ctx.addIssue({ code: 'custom', message: `"${raw}": ${parsed.reason}`, params: { code } });
  return z.NEVER;
});

export const refSchema = z.string().transform((raw, ctx): Ref & { raw: string } => {
  const parsed = parseRef(raw);
  if (parsed.ok) return { ...parsed.value, raw };
  ctx.addIssue({
    code: 'custom',
    message: `"${raw.slice(0, 300)}": ${parsed.reason}`,
    params: { code: 'REF_INVALID' },
  });
  return z.NEVER;
});

/**
 * A relative POSIX path inside a version: no leading `/`, no empty, `.` or `..` segment, no
 * backslash or control character, NFC-normalised (so two paths that look alike are the same).
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0 || path.length > 1024) return 'paths are 1 to 1024 characters';
  if (path.startsWith('/')) return 'paths are relative (no leading "/")';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(path)) return 'paths may not contain control characters or "\\"';
  // Bidirectional controls make a path read differently than it is ("invoice\u202Efdp.exe").
  if (/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(path))
    return 'paths may not contain bidirectional control characters';
  if (path.normalize('NFC') !== path) return 'paths must be NFC-normalised Unicode';
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..')
      return 'paths have no empty, "." or ".." segment';
    if (segment.length > 255) return 'path segments are at most 255 characters';
  }
  return null;
}

export const pathSchema = z.string().superRefine((path, ctx) => {
  const problem = pathProblem(path);
  if (problem)
    ctx.addIssue({
      code: 'custom',
      message: `${problem}: ${JSON.stringify(path.slice(0, 200))}`,
      params: { code: 'PATH_INVALID' },
    });
});

/** Pagination by a numeric position (version number, event id), checked at the edge. */
export const numericPageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});

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

/** JSON bodies larger than this are refused (413) before parsing; publish allows more. */
const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Deepest nesting of arrays and objects a JSON body may have. */
const MAX_JSON_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What makes a parsed JSON body unsafe to handle, before any schema sees it: nesting deeper than
 * MAX_JSON_DEPTH (recursive validation would exhaust the stack), strings or keys that are not
 * well-formed UTF-16 (lone surrogates: no canonical JSON, no UTF-8), and `__proto__` keys (an
 * object built from them would lose the key to its prototype). Iterative, so any depth is safe.
 */
function jsonProblem(value: unknown): string | null {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return 'strings must be well-formed Unicode (no lone surrogates)';
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_JSON_DEPTH) return `JSON nests at most ${MAX_JSON_DEPTH} levels deep`;
      for (const [key, child] of Object.entries(v)) {
        if (key === '__proto__') return 'the key "__proto__" is not allowed';
        if (LONE_SURROGATE.test(key)) return 'keys must be well-formed Unicode (no lone surrogates)';
        stack.push([child, depth + 1]);
      }
    }
  }
  return null;
}

const safeJson = z.unknown().superRefine((value, ctx) => {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * zValidator with our error shape: handlers only ever see valid input via `c.req.valid()`. JSON
 * bodies are capped first (`maxBytes`, by Content-Length or while streaming when it is absent).
 */
export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(
  target: T,
  schema: S,
  { maxBytes = MAX_JSON_BODY_BYTES }: { maxBytes?: number } = {},
) {
  // JSON bodies pass the safety check first (the schema never sees an unsafe one).
  const guarded = (target === 'json' ? safeJson.pipe(schema) : schema) as S;
  const validator = zValidator(target, guarded, (result, c) => {
    if (result.success) return;
    // Hono reads a non-JSON body as {}: say what is wrong instead of blaming a missing field.
    const type = c.req.header('content-type')?.split(';')[0]?.trim() ?? '';
    if (target === 'json' && !/^application\/([\w.-]+\+)?json$/i.test(type)) {
      throw new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the body as JSON with "Content-Type: application/json"',
        {
          contentType: type || null,
        },
      );
    }
    throw validationError(result.error.issues, target);
  });
  if (target !== 'json') return describesInput(validator, target, schema);
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `this JSON body is at most ${maxBytes} bytes`, {
        limit: maxBytes,
      });
    },
  });
  // Same type as the validator, so `c.req.valid('json')` keeps its inferred input.
  const limited = (async (c, next) => limit(c, () => validator(c, next))) as typeof validator;
  return describesInput(limited, target, schema);
}
