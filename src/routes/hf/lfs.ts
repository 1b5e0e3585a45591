/**
 * The Hub's Git LFS endpoints: the batch API at `/{ns}/{name}.git/info/lfs/objects/batch` (and
 * `/datasets/…`) and the transfers it hands out. Planning is the native LFS service's
 * (services/lfs/batch.ts: an object already stored gets no action, so unchanged files are never
 * sent again); only the actions differ. The Hub's clients send transfer requests without
 * credentials, so every action URL carries a signed grant (services/hf/signed-urls.ts):
 * - `basic`: one PUT of the whole object, stored through storeBlob (digest checked);
 * - `multipart` (objects above one part, when the client offers it; without it, basic up to one
 *   request's limit): a Cairn upload session, the CLI's own path for large files, so parts are
 *   hashed as they stream and completion reads nothing back; the action's header holds
 *   `chunk_size` and one signed URL per part (`00001`…), its href the completion URL.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { Digest } from '../../contract/grammar';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { requireContentLength } from '../../http/body-length';
import { readHfJson } from '../../http/hf';
import { LFS_MEDIA_TYPE } from '../../http/lfs';
import type { Principal } from '../../services/auth';
import { storeBlob } from '../../services/blobs';
import { checkGrant, GRANT_TTL_MS, type Grant, signGrant } from '../../services/hf/signed-urls';
import { type PlannedObject, planBatch } from '../../services/lfs/batch';
import { awaitHashTurn, completeUpload, receivePart, startUpload } from '../../services/uploads';
import { storeFailure } from '../blobs';
import { uploadFailure } from '../uploads';
import { repoTypeOf, requireRepo } from './access';

const batchSchema = z.object({
  operation: z.enum(['upload', 'download']),
  transfers: z.array(z.string()).max(100).optional(),
  hash_algo: z.enum(['sha256', 'sha_256']).optional(),
  objects: z.array(z.object({ oid: z.string().max(1024), size: z.number() })).max(1000),
});

async function transferUrl(c: Context<AppEnv>, grant: Grant, principal: Principal, action: string) {
  const t = await signGrant(c.var.deps, grant, principal);
  return `${new URL(c.req.url).origin}/hf/_transfer/${action}?t=${t}`;
}

/** The upload action for one object the plan says must be sent. */
async function uploadAction(
  c: Context<AppEnv>,
  object: PlannedObject,
  principal: Principal,
  multipart: boolean,
) {
  const digest: Digest = `sha256:${object.oid}`;
  const expires_in = GRANT_TTL_MS / 1000;
  const { maxSingleUploadBytes, uploadPartSize } = c.var.deps.config;
  if (object.size <= (multipart ? uploadPartSize : maxSingleUploadBytes)) {
    const href = await transferUrl(c, { kind: 'put', digest, size: object.size }, principal, 'put');
    return {
      oid: object.oid,
      size: object.size,
      authenticated: true,
      actions: { upload: { href, expires_in } },
    };
  }
  if (!multipart) {
    return {
      oid: object.oid,
      size: object.size,
      error: { code: 413, message: 'too large for basic: ask for multipart' },
    };
  }
  const started = await startUpload(c.var.deps, { digest, size: object.size }, principal);
  if (!started.ok) throw uploadFailure(started);
  if (started.kind === 'exists') return { oid: object.oid, size: object.size };
  const { upload } = started;
  const header: Record<string, string> = { chunk_size: String(upload.partSize) };
  for (let part = 1; part <= upload.partCount; part++) {
    header[String(part).padStart(5, '0')] = await transferUrl(
      c,
      { kind: 'part', uploadId: upload.uploadId, part },
      principal,
      'part',
    );
  }
  const href = await transferUrl(
    c,
    { kind: 'complete', uploadId: upload.uploadId, digest },
    principal,
    'complete',
  );
  return {
    oid: object.oid,
    size: object.size,
    authenticated: true,
    actions: { upload: { href, header, expires_in } },
  };
}

/**
 * Download actions point at the native blob route with the caller's credential, which there is
 * the Cairn token itself, not its `hf_` spelling.
 */
function nativeAuthorization(header: string | undefined): Record<string, string> {
  return header ? { Authorization: header.replace(/^(Bearer\s+)hf_/i, '$1') } : {};
}

async function batch(c: Context<AppEnv>, type: 'models' | 'datasets') {
  const repo = c.req.param('repo') ?? '';
  if (!repo.endsWith('.git')) throw new ApiError('NOT_FOUND', `no route for ${c.req.path}`);
  const request = await readHfJson(c, batchSchema);
  const scope = request.operation === 'upload' ? 'write' : 'read';
  const { artifact, principal } = await requireRepo(
    c,
    repoTypeOf(type),
    c.req.param('ns')!,
    repo.slice(0, -4),
    scope,
  );
  const transfers = request.transfers ?? ['basic'];
  if (!transfers.includes('basic'))
    throw new ApiError('BAD_REQUEST', 'this server offers the "basic" and "multipart" transfers');
  const planned = await planBatch(c.var.deps, {
    repo: artifact.name,
    operation: request.operation,
    objects: request.objects,
    principal,
    links: {
      blobHref: (digest) => `${new URL(c.req.url).origin}/v1/blobs/${digest}`,
      verifyHref: '',
      header: nativeAuthorization(c.req.header('authorization')),
      expiresIn: GRANT_TTL_MS / 1000,
    },
    maxUploadBytes: Number.MAX_SAFE_INTEGER,
  });
  const objects = await Promise.all(
    planned.map((o) =>
      request.operation === 'upload' && o.actions
        ? uploadAction(c, o, principal!, transfers.includes('multipart'))
        : o,
    ),
  );
  const res = c.body(JSON.stringify({ transfer: 'basic', objects, hash_algo: 'sha256' }), 200, {
    'Content-Type': LFS_MEDIA_TYPE,
  });
  res.headers.set('Cache-Control', 'no-store');
  return res;
}

/** The grant in `?t=`, of the kind this endpoint serves, or 403. */
async function requireGrant<K extends Grant['kind']>(c: Context<AppEnv>, kind: K) {
  const checked = await checkGrant(c.var.deps, c.req.query('t'));
  if (!checked.ok) {
    if (checked.reason === 'unconfigured') throw new Error('REGISTRY_SIGNING_KEY is not configured');
    const why = checked.reason === 'expired' ? 'has expired: ask the batch API again' : 'is not valid';
    throw new ApiError('DENIED', `this transfer URL ${why}`);
  }
  if (checked.grant.kind !== kind) throw new ApiError('DENIED', 'this transfer URL is for another action');
  return { grant: checked.grant as Extract<Grant, { kind: K }>, principal: checked.principal };
}

export const hfTransferRoutes = new Hono<AppEnv>()
  .put('/put', async (c) => {
    const { grant, principal } = await requireGrant(c, 'put');
    const length = requireContentLength(
      c.req.header('content-length'),
      c.var.deps.config.maxSingleUploadBytes,
      'an object',
    );
    if (length !== grant.size) {
      throw new ApiError('SIZE_MISMATCH', `the batch announced ${grant.size} bytes; this body has ${length}`);
    }
    const digest = grant.digest as Digest;
    const stored = await storeBlob(c.var.deps, digest, c.req.raw.body, length, principal);
    if (!stored.ok) throw storeFailure(digest, stored);
    return c.body(null, 200, { ETag: `"${digest}"` });
  })
  .put('/part', async (c) => {
    const { grant } = await requireGrant(c, 'part');
    const length = requireContentLength(
      c.req.header('content-length'),
      c.var.deps.config.maxSingleUploadBytes,
      'a part',
    );
    // The client sends parts in parallel: each waits its turn so all are hashed as they stream.
    await awaitHashTurn(c.var.deps, grant.uploadId, grant.part);
    const result = await receivePart(c.var.deps, grant.uploadId, grant.part, c.req.raw.body, length);
    if (!result.ok) throw uploadFailure(result);
    return c.body(null, 200, { ETag: `"${grant.uploadId}-${grant.part}"` });
  })
  .post('/complete', async (c) => {
    const { grant, principal } = await requireGrant(c, 'complete');
    await c.req.text(); // the client's part etags: Cairn's session knows its parts itself
    const result = await completeUpload(c.var.deps, grant.uploadId, principal);
    if (!result.ok) throw uploadFailure(result);
    return c.json({ oid: grant.digest.slice(7), size: result.size });
  });

export const hfLfsRoutes = new Hono<AppEnv>()
  .post('/datasets/:ns/:repo/info/lfs/objects/batch', (c) => batch(c, 'datasets'))
  .post('/:ns/:repo/info/lfs/objects/batch', (c) => batch(c, 'models'));
