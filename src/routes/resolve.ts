/**
 * GET /v1/resolve/{ref}: which version a ref names now. Tag refs are revalidated (`no-cache`,
 * ETag of the digest); number and digest refs never change (immutable). With
 * `Accept: application/vnd.cairn.manifest.v1+json` the answer is a 302 to the manifest.
 */
import { Hono } from 'hono';
import { manifestUrl } from '../contract/urls';
import type { AppEnv } from '../env';
import { etagOf, IMMUTABLE, NO_CACHE, notModified } from '../http/caching';
import { refFromPath, requireResolved } from '../http/refs';
import { requireScope } from '../middleware/auth';
import { MANIFEST_MEDIA_TYPE } from '../services/manifest';

export const resolveRoutes = new Hono<AppEnv>().get('/resolve/*', requireScope('read'), async (c) => {
  const ref = refFromPath(c, '/v1/resolve/');
  const resolved = await requireResolved(c, ref, { headers: { 'Cache-Control': NO_CACHE } });
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
    { ref: ref.raw, artifact: resolved.artifact.name, version: number, digest, manifestUrl: url },
    200,
    headers,
  );
});
