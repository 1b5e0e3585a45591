/**
 * GET /v1/resolve/{ref}: which version a ref names now. Tag refs are revalidated (`no-cache`,
 * ETag of the digest); number and digest refs never change (immutable). With
 * `Accept: application/vnd.cairn.manifest.v1+json` the answer is a 302 to the manifest.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { etagOf, IMMUTABLE, NO_CACHE, notModified } from '../http/caching';
import { parseRef } from '../lib/refs';
import { requireScope } from '../middleware/auth';
import { manifestUrl, resolveRef } from '../services/artifacts';
import { MANIFEST_MEDIA_TYPE } from '../services/manifest';

export const resolveRoutes = new Hono<AppEnv>().get('/resolve/*', requireScope('read'), async (c) => {
  let raw: string;
  try {
    raw = decodeURIComponent(c.req.path.slice('/v1/resolve/'.length));
  } catch {
    throw new ApiError('REF_INVALID', 'the ref is not valid percent-encoding');
  }
  const parsed = parseRef(raw);
  if (!parsed.ok)
    throw new ApiError('REF_INVALID', `"${raw.slice(0, 300)}": ${parsed.reason}`, { ref: raw.slice(0, 300) });
  const ref = parsed.value;
  const resolved = await resolveRef(c.var.db, ref, c.var.principal);
  if (!resolved) {
    const code = ref.selector.kind === 'tag' ? 'TAG_UNKNOWN' : 'VERSION_UNKNOWN';
    throw new ApiError(
      code,
      `${raw} does not resolve`,
      { ref: raw },
      { headers: { 'Cache-Control': NO_CACHE } },
    );
  }
  const { digest, number } = resolved.version;
  const url = manifestUrl(new URL(c.req.url).origin, digest);
  const etag = etagOf(digest);
  const headers = {
    ETag: etag,
    'Cache-Control': ref.selector.kind === 'tag' ? NO_CACHE : IMMUTABLE,
    Vary: 'Accept',
  };
  if (notModified(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  if ((c.req.header('accept') ?? '').includes(MANIFEST_MEDIA_TYPE)) {
    return c.body(null, 302, { ...headers, Location: url });
  }
  return c.json(
    { ref: raw, artifact: resolved.artifact.name, version: number, digest, manifestUrl: url },
    200,
    headers,
  );
});
