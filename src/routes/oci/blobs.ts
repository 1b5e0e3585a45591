/**
 * /v2/{ns}/{name}/blobs: blob reads and uploads over the one global store (Distribution Spec
 * "Pulling blobs", "Pushing blobs", "Mounting a blob"). Monolithic pushes are /v1's verified
 * `storeBlob`; sessions (POST → PATCH… → PUT ?digest=) are services/oci/uploads.ts. A blob is not
 * deleted over OCI: it is shared by every repository and protocol, and garbage collection removes
 * it once nothing references it (405 UNSUPPORTED).
 */
import { Hono } from 'hono';
import { createFactory } from 'hono/factory';
import { z } from 'zod';
import type { Digest } from '../../contract/grammar';
import { runBatch } from '../../db/client';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { blobBusy } from '../../http/blob-errors';
import { visibleBlobResponse } from '../../http/blob-response';
import { requireContentLength } from '../../http/body-length';
import { IMMUTABLE, NO_STORE } from '../../http/caching';
import { assertNamespaceWritable } from '../../http/guards';
import { unreachable } from '../../lib/unreachable';
import { requireScope } from '../../middleware/auth';
import { findVisibleBlob, grantStatements, storeBlob } from '../../services/blobs';
import { EMPTY_BYTES, EMPTY_DIGEST, EMPTY_MEDIA_TYPE } from '../../services/oci/attestation-referrers';
import {
  type AppendResult,
  appendChunk,
  cancelOciUpload,
  completeOciUpload,
  findOciUpload,
  type OciCompleteFailure,
  rangeOf,
  startOciUpload,
} from '../../services/oci/uploads';
import { digestSchema, validate } from '../../validation';
import { storeFailure, unknownBlob } from '../blobs';
import { assertRepoReadable, blobLocation, repoParams, uploadLocation } from './common';
import { unsupportedBody } from './errors';

const blobParams = validate('param', repoParams.extend({ digest: digestSchema }));
const uploadParams = validate(
  'param',
  repoParams.extend({ id: z.string().regex(/^oci_[A-Za-z0-9_-]{1,64}$/) }),
);
const startQuery = validate(
  'query',
  z.object({ digest: digestSchema.optional(), mount: z.string().optional(), from: z.string().optional() }),
);

/** Where an OCI upload stands: the headers of every session answer. */
function sessionHeaders(repo: string, row: { id: string; size: number }): Record<string, string> {
  return {
    Location: uploadLocation(repo, row.id),
    Range: rangeOf(row),
    'Docker-Upload-UUID': row.id,
    'Cache-Control': NO_STORE,
  };
}

function uploadFailure(
  failure: Exclude<AppendResult, { ok: true }> | OciCompleteFailure,
  digest?: Digest,
): ApiError {
  switch (failure.reason) {
    case 'upload-unknown':
      return new ApiError('UPLOAD_UNKNOWN', `no upload ${failure.uploadId} in this repository`, {
        uploadId: failure.uploadId,
      });
    case 'out-of-order':
      return new ApiError(
        'RANGE_NOT_SATISFIABLE',
        `chunks must be sent in order: the upload holds ${failure.size} bytes, the next chunk starts there`,
        { size: failure.size },
        { headers: { Range: rangeOf(failure) } },
      );
    case 'upload-busy':
      return new ApiError(
        'UPLOAD_IN_PROGRESS',
        'another request is writing to this upload; send chunks one at a time',
      );
    case 'digest-mismatch':
      return new ApiError(
        'DIGEST_MISMATCH',
        `the ${failure.size} bytes uploaded do not hash to ${digest}; the upload was discarded`,
        {
          digest,
        },
      );
    case 'too-large':
      return new ApiError('BLOB_TOO_LARGE', `one OCI blob is at most ${failure.limit} bytes`, { ...failure });
    case 'chunk-too-large':
      return new ApiError(
        'BLOB_TOO_LARGE',
        `a chunk sent without Content-Length is at most ${failure.limit} bytes (one request's limit, not the blob's): send the blob in PATCH chunks of at most that size with Content-Length, or push it with \`cairn push\``,
        { limit: failure.limit },
      );
    case 'size-mismatch':
      return new ApiError('SIZE_MISMATCH', `${digest} is stored with ${failure.storedSize} bytes`, {
        storedSize: failure.storedSize,
      });
    case 'being-deleted':
      return blobBusy(digest!);
    case 'assembly-in-progress':
      return new ApiError(
        'UPLOAD_IN_PROGRESS',
        `a multipart upload of ${digest} is being completed; retry shortly`,
      );
    default:
      return unreachable(failure);
  }
}

/** A chunk's length: Content-Length, else the Content-Range's; one request at most, as everywhere. */
function chunkOf(
  header: (name: string) => string | undefined,
  limit: number,
): { start?: number; length: number } {
  const range = header('content-range');
  const match = range === undefined ? null : /^(?:bytes )?(\d{1,16})-(\d{1,16})$/.exec(range.trim());
  if (range !== undefined && (!match || Number(match[2]) < Number(match[1]))) {
    throw new ApiError(
      'RANGE_NOT_SATISFIABLE',
      'Content-Range must be "<start>-<end>" (inclusive byte offsets)',
    );
  }
  const declared = header('content-length');
  const length =
    declared === undefined && match
      ? Number(match[2]) - Number(match[1]) + 1
      : requireContentLength(declared, limit, 'an OCI chunk (send larger blobs as several PATCH chunks)');
  if (length > limit) throw new ApiError('BLOB_TOO_LARGE', `one chunk is at most ${limit} bytes`, { limit });
  if (match && Number(match[2]) - Number(match[1]) + 1 !== length) {
    throw new ApiError('RANGE_NOT_SATISFIABLE', 'Content-Range and Content-Length disagree');
  }
  return match ? { start: Number(match[1]), length } : { length };
}

const factory = createFactory<AppEnv>();

/** POST …/blobs/uploads/: a monolithic push (`?digest=`), a mount (`?mount=&from=`), or a new session. */
const startUpload = factory.createHandlers(
  validate('param', repoParams),
  requireScope('write'),
  startQuery,
  async (c) => {
    const { ns, name } = c.req.valid('param');
    const { digest, mount, from } = c.req.valid('query');
    const { deps, principal } = c.var;
    const repo = `${ns}/${name}`;
    assertNamespaceWritable(principal!, ns);
    if (mount !== undefined && from !== undefined) {
      // The store is global: a blob this token may read is mountable at once (and readable here after).
      const mounted = await mountable(c, mount, from);
      if (mounted) {
        await runBatch(deps.db, grantStatements(principal, mounted, deps.now()));
        return c.body(null, 201, { Location: blobLocation(repo, mounted), 'Docker-Content-Digest': mounted });
      }
    } else if (digest !== undefined) {
      const length = requireContentLength(
        c.req.header('content-length'),
        deps.config.maxSingleUploadBytes,
        'a monolithic blob upload',
      );
      const stored = await storeBlob(deps, digest, c.req.raw.body, length, principal);
      if (!stored.ok) throw storeFailure(digest, stored);
      return c.body(null, 201, { Location: blobLocation(repo, digest), 'Docker-Content-Digest': digest });
    }
    const row = await startOciUpload(deps, repo, principal!);
    return c.body(null, 202, sessionHeaders(repo, row));
  },
);

export const ociBlobRoutes = new Hono<AppEnv>()
  .get('/:ns/:name/blobs/:digest', blobParams, requireScope('read'), async (c) => {
    const { ns, name, digest } = c.req.valid('param');
    assertRepoReadable(c.var.principal, ns, name);
    // The OCI empty blob `{}` (the config of attestation referrers) is implied by its digest:
    // served whether or not anyone stored it, so GC never has to keep it.
    const res =
      (await visibleBlobResponse(c, digest)) ??
      (digest === EMPTY_DIGEST
        ? new Response(c.req.method === 'HEAD' ? null : EMPTY_BYTES, {
            headers: {
              'Content-Type': EMPTY_MEDIA_TYPE,
              'Content-Length': String(EMPTY_BYTES.byteLength),
              'Cache-Control': IMMUTABLE,
            },
          })
        : null);
    if (!res) throw unknownBlob(digest);
    res.headers.set('Docker-Content-Digest', digest);
    return res;
  })
  .delete('/:ns/:name/blobs/:digest', blobParams, requireScope('write'), (c) =>
    c.json(
      unsupportedBody('blobs are shared by every repository; garbage collection removes unreferenced ones'),
      405,
    ),
  )
  .post('/:ns/:name/blobs/uploads/', ...startUpload)
  .post('/:ns/:name/blobs/uploads', ...startUpload)
  .get('/:ns/:name/blobs/uploads/:id', uploadParams, requireScope('write'), async (c) => {
    const { ns, name, id } = c.req.valid('param');
    const repo = `${ns}/${name}`;
    const found = await findOciUpload(c.var.deps, repo, id);
    if (!found.ok) throw uploadFailure(found);
    return c.body(null, 204, sessionHeaders(repo, found.row));
  })
  .patch('/:ns/:name/blobs/uploads/:id', uploadParams, requireScope('write'), async (c) => {
    const { ns, name, id } = c.req.valid('param');
    const { deps } = c.var;
    const repo = `${ns}/${name}`;
    assertNamespaceWritable(c.var.principal!, ns);
    const limit = deps.config.maxSingleUploadBytes;
    // A body without Content-Length or Content-Range is chunked (podman and docker compress a
    // layer as they send it): staged in pieces as it streams, refused past one request's limit.
    const streamed =
      c.req.raw.body !== null &&
      c.req.header('content-length') === undefined &&
      c.req.header('content-range') === undefined;
    const chunk = streamed ? { start: undefined, length: null } : chunkOf((h) => c.req.header(h), limit);
    const appended = await appendChunk(deps, repo, id, chunk.start, c.req.raw.body, chunk.length, limit);
    if (!appended.ok) throw uploadFailure(appended);
    return c.body(null, 202, sessionHeaders(repo, appended.row));
  })
  .put(
    '/:ns/:name/blobs/uploads/:id',
    uploadParams,
    requireScope('write'),
    validate('query', z.object({ digest: digestSchema })),
    async (c) => {
      const { ns, name, id } = c.req.valid('param');
      const { digest } = c.req.valid('query');
      const { deps } = c.var;
      const repo = `${ns}/${name}`;
      assertNamespaceWritable(c.var.principal!, ns);
      const body = c.req.raw.body;
      // The last chunk may come with the PUT (or nothing: a Content-Length of 0, or none at all).
      const last =
        body === null ? { length: 0 } : chunkOf((h) => c.req.header(h), deps.config.maxSingleUploadBytes);
      const done = await completeOciUpload(deps, repo, id, digest, c.var.principal!, { ...last, body });
      if (!done.ok) throw uploadFailure(done, digest);
      return c.body(null, 201, { Location: blobLocation(repo, digest), 'Docker-Content-Digest': digest });
    },
  )
  .delete('/:ns/:name/blobs/uploads/:id', uploadParams, requireScope('write'), async (c) => {
    const { ns, name, id } = c.req.valid('param');
    assertNamespaceWritable(c.var.principal!, ns);
    const cancelled = await cancelOciUpload(c.var.deps, `${ns}/${name}`, id);
    if (!cancelled.ok) throw uploadFailure(cancelled);
    return c.body(null, 204);
  });

/** `?mount=<digest>&from=<ns/name>`: the digest when this token may read it there, else null. */
async function mountable(
  c: { var: AppEnv['Variables'] },
  mount: string,
  from: string,
): Promise<Digest | null> {
  const digest = digestSchema.safeParse(mount);
  const source = repoParams.safeParse({ ns: from.split('/')[0], name: from.split('/').slice(1).join('/') });
  if (!digest.success || !source.success) return null;
  try {
    assertRepoReadable(c.var.principal, source.data.ns, source.data.name);
  } catch {
    return null;
  }
  return (await findVisibleBlob(c.var.deps, digest.data, c.var.principal)) ? digest.data : null;
}
