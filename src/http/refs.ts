/**
 * Refs in requests: the routes that take a ref as the rest of their path (resolve, lineage,
 * impact) and the ones that take it as a query parameter (diff) read, validate and resolve it
 * the same way: 400 REF_INVALID when malformed, 404 TAG_UNKNOWN / VERSION_UNKNOWN when it does
 * not resolve (or names a namespace the token cannot see).
 */
import type { Context } from 'hono';
import { parseRef, type Ref } from '../contract/grammar';
import type { AppEnv } from '../env';
import { ApiError, type ApiErrorOptions } from '../errors';
import { type Resolved, resolveRef } from '../services/artifacts';

export type RawRef = Ref & { raw: string };

/** The ref spelled by the request path after `prefix` (percent-decoded). */
export function refFromPath(c: Context<AppEnv>, prefix: string): RawRef {
  let raw: string;
  try {
    raw = decodeURIComponent(c.req.path.slice(prefix.length));
  } catch {
    throw new ApiError('REF_INVALID', 'the ref is not valid percent-encoding');
  }
  const parsed = parseRef(raw);
  if (!parsed.ok) {
    throw new ApiError('REF_INVALID', `"${raw.slice(0, 300)}": ${parsed.reason}`, { ref: raw.slice(0, 300) });
  }
  return { ...parsed.value, raw };
}

export async function requireResolved(
  c: Context<AppEnv>,
  ref: RawRef,
  options: ApiErrorOptions = {},
): Promise<Resolved> {
  const resolved = await resolveRef(c.var.deps, ref, c.var.principal);
  if (!resolved) {
    const code = ref.selector.kind === 'tag' ? 'TAG_UNKNOWN' : 'VERSION_UNKNOWN';
    throw new ApiError(code, `${ref.raw} does not resolve`, { ref: ref.raw }, options);
  }
  return resolved;
}
