/**
 * Downloads in the Hub's shape: `/{ns}/{name}/resolve/{rev}/{path}` (and `/datasets/…`), GET and
 * HEAD, served by the one blob responder (Range, ETag of the digest). The headers the clients read
 * to fill their caches: `X-Repo-Commit` (the revision's commit id), `X-Linked-Size` and
 * `X-Linked-Etag` (an LFS file's size and its SHA-256, which `huggingface_hub` checks downloads
 * against). A revision named by commit id is immutable; a branch may move, so it revalidates.
 */
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { blobResponse } from '../../http/blob-response';
import { NO_CACHE } from '../../http/caching';
import { COMMIT_ID_RE, commitIdOf, resolveRevision } from '../../services/hf/revisions';
import { fileBlob } from '../../services/versions';
import { repoTypeOf, requireRepo } from './access';

async function resolveFile(c: Context<AppEnv>, type: 'models' | 'datasets') {
  const { ns, name, rev } = c.req.param() as Record<string, string>;
  const path = decodeURIComponent(
    c.req.path.slice(c.req.path.indexOf(`/resolve/${rev}/`) + `/resolve/${rev}/`.length),
  );
  const { artifact } = await requireRepo(c, repoTypeOf(type), ns!, name!, 'read');
  const version = await resolveRevision(c.var.deps, artifact, decodeURIComponent(rev!));
  if (!version)
    throw new ApiError('VERSION_UNKNOWN', `no revision ${rev} in ${artifact.name}`, { revision: rev });
  const blob = await fileBlob(c.var.deps, version.id, path);
  if (!blob) throw new ApiError('NOT_FOUND', `no file ${path} at ${rev} of ${artifact.name}`, { path });
  const res = await blobResponse(c, blob);
  const hex = blob.digest.slice(7);
  res.headers.set('X-Repo-Commit', commitIdOf(version.digest));
  res.headers.set('X-Linked-Size', String(blob.size));
  res.headers.set('X-Linked-Etag', `"${hex}"`);
  res.headers.set('ETag', `"${hex}"`);
  if (!COMMIT_ID_RE.test(rev!)) res.headers.set('Cache-Control', NO_CACHE);
  return res;
}

export const hfResolveRoutes = new Hono<AppEnv>()
  .on(['GET', 'HEAD'], '/datasets/:ns/:name/resolve/:rev/*', (c) => resolveFile(c, 'datasets'))
  .on(['GET', 'HEAD'], '/:ns/:name/resolve/:rev/*', (c) => resolveFile(c, 'models'));
