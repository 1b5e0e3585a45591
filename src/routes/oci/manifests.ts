/**
 * /v2/{ns}/{name}/manifests, /tags/list and /referrers (Distribution Spec "Pulling manifests",
 * "Pushing manifests", "Listing tags", "Listing referrers", "Deleting"). Exact bytes in and out;
 * the decisions (what a push becomes, what a tag names, what a delete may take) are
 * services/oci/manifests.ts and deletion.ts. Tags move only as /v1 tags do: `promote` for
 * protected tags, namespace limits, history, audit.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Digest } from '../../contract/grammar';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { blobBusy } from '../../http/blob-errors';
import { IMMUTABLE, NO_CACHE } from '../../http/caching';
import { assertCanMoveTags, assertNamespaceWritable } from '../../http/guards';
import { policyUnsatisfied } from '../../http/provenance-errors';
import { tagConflict } from '../../http/tag-errors';
import { unreachable } from '../../lib/unreachable';
import { requireScope } from '../../middleware/auth';
import { actorOf, type Principal } from '../../services/auth';
import { attestationReferrers, findAttestationReferrer } from '../../services/oci/attestation-referrers';
import { deleteOciManifest, deleteOciTag } from '../../services/oci/deletion';
import { MAX_MANIFEST_BYTES, OCI_INDEX } from '../../services/oci/manifest-format';
import { type PushFailure, pushManifest, type Reference } from '../../services/oci/manifests';
import { findManifest, listOciTags, referrers, repoExists, tagsOfManifest } from '../../services/oci/reads';
import { digestSchema, validate } from '../../validation';
import {
  assertRepoReadable,
  manifestLocation,
  pageQuery,
  paging,
  referenceSchema,
  repoParams,
} from './common';

const manifestParams = validate('param', repoParams.extend({ reference: referenceSchema }));

/**
 * Hono's bodyLimit checks Content-Length and also counts a chunked body as it streams, so a
 * manifest above the limit is refused before it is buffered, not after.
 */
const manifestLimit = bodyLimit({
  maxSize: MAX_MANIFEST_BYTES,
  onError: () => {
    throw new ApiError('PAYLOAD_TOO_LARGE', `a manifest is at most ${MAX_MANIFEST_BYTES} bytes`, {
      limit: MAX_MANIFEST_BYTES,
    });
  },
});

function pushFailure(repo: string, failure: PushFailure): ApiError {
  switch (failure.reason) {
    case 'manifest-invalid':
      return new ApiError('BAD_REQUEST', `invalid manifest: ${failure.problem}`);
    case 'digest-mismatch':
      return new ApiError('DIGEST_MISMATCH', "the manifest's bytes do not hash to the digest in the URL", {
        ...('digest' in failure ? { digest: failure.digest } : {}),
      });
    case 'blobs-missing':
    case 'blobs-collected':
      return new ApiError(
        'BLOB_UNKNOWN',
        'the manifest references blobs that are not stored (push them first)',
        { missing: failure.missing.slice(0, 100) },
        { status: 422 },
      );
    case 'size-mismatch': {
      const { ok: _ok, reason: _reason, ...details } = failure;
      return new ApiError('SIZE_MISMATCH', 'a descriptor size is not the stored blob size', details, {
        status: 422,
      });
    }
    case 'duplicate-paths':
      return new ApiError(
        'BAD_REQUEST',
        `two layers have the same title: ${failure.duplicates.slice(0, 10).join(', ')}`,
      );
    case 'kind-conflict':
      return new ApiError(
        'KIND_CONFLICT',
        `this repository holds ${failure.kind} versions, not ${failure.requested}`,
        {
          kind: failure.kind,
        },
      );
    case 'being-deleted':
      return blobBusy((failure as { digest?: Digest }).digest ?? ('' as Digest));
    case 'assembly-in-progress':
      return new ApiError(
        'UPLOAD_IN_PROGRESS',
        'a multipart upload of these bytes is being completed; retry shortly',
      );
    case 'refs-unknown':
      return new ApiError('REF_UNKNOWN', 'unknown input refs', { refs: failure.refs });
    case 'idempotency-key-reused':
      return new ApiError('IDEMPOTENCY_KEY_REUSED', 'idempotency key reused');
    case 'policy-unsatisfied':
      // A tag under a provenance policy (README "Provenance and signatures") refuses over OCI too.
      return policyUnsatisfied(repo, failure.tag, failure.missing);
    case 'tag-conflict':
      return tagConflict(repo, failure);
    default:
      return unreachable(failure);
  }
}

function unknownManifest(repo: string, reference: Reference): ApiError {
  switch (reference.kind) {
    case 'tag':
      return new ApiError('TAG_UNKNOWN', `no manifest ${repo}:${reference.tag}`, { tag: reference.tag });
    case 'digest':
      return new ApiError('VERSION_UNKNOWN', `no manifest ${repo}@${reference.digest}`, {
        digest: reference.digest,
      });
    case 'number':
      return new ApiError('VERSION_UNKNOWN', `no version ${repo}@${reference.number}`, {
        number: reference.number,
      });
    default:
      return unreachable(reference);
  }
}

function manifestHeaders(m: { mediaType: string; size: number; digest: string }, byDigest: boolean) {
  return {
    'Content-Type': m.mediaType,
    'Content-Length': String(m.size),
    'Docker-Content-Digest': m.digest,
    ETag: `"${m.digest}"`,
    // By digest the answer never changes; by tag it may at any moment.
    'Cache-Control': byDigest ? IMMUTABLE : NO_CACHE,
  };
}

/**
 * What a push and a delete check first: the namespace is writable by the token, the reference
 * is a tag or a digest (a version number is for pulling), and a protected tag needs `promote`.
 */
function writeTarget(
  principal: Principal,
  protectedTags: readonly string[],
  params: { ns: string; name: string; reference: Reference },
): { repo: string; reference: Exclude<Reference, { kind: 'number' }> } {
  const { ns, name, reference } = params;
  assertNamespaceWritable(principal, ns);
  if (reference.kind === 'number') {
    throw new ApiError(
      'TAG_INVALID',
      `"${reference.number}" names version ${reference.number}: push and delete by tag or digest`,
    );
  }
  if (reference.kind === 'tag') assertCanMoveTags(principal, protectedTags, [reference.tag]);
  return { repo: `${ns}/${name}`, reference };
}

export const ociManifestRoutes = new Hono<AppEnv>()
  .get('/:ns/:name/manifests/:reference', manifestParams, requireScope('read'), async (c) => {
    const { ns, name, reference } = c.req.valid('param');
    const repo = assertRepoReadable(c.var.principal, ns, name);
    const row = await findManifest(c.var.deps, repo, reference);
    // An attestation's referrer manifest is computed, not stored (attestation-referrers.ts).
    const computed =
      !row && reference.kind === 'digest'
        ? await findAttestationReferrer(c.var.deps, repo, reference.digest)
        : null;
    if (computed) {
      const headers = manifestHeaders(computed, true);
      return new Response(c.req.method === 'HEAD' ? null : computed.bytes, { status: 200, headers });
    }
    if (!row) throw unknownManifest(repo, reference);
    const headers = manifestHeaders(row, reference.kind === 'digest');
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    const read = await c.var.deps.blobs.get(row.digest as Digest);
    if (!read) throw new Error(`manifest ${row.digest} has a record but no stored bytes`);
    return new Response(read.body, { status: 200, headers });
  })
  .put('/:ns/:name/manifests/:reference', manifestParams, requireScope('write'), manifestLimit, async (c) => {
    const { deps } = c.var;
    const principal = c.var.principal!;
    const { repo, reference } = writeTarget(principal, deps.config.protectedTags, c.req.valid('param'));
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const origin = new URL(c.req.url).origin;
    const pushed = await pushManifest(
      deps,
      principal,
      repo,
      reference,
      bytes,
      c.req.header('content-type'),
      origin,
    );
    if (!pushed.ok) throw pushFailure(repo, pushed);
    return c.body(null, 201, {
      Location: manifestLocation(repo, pushed.digest),
      'Docker-Content-Digest': pushed.digest,
      ...(pushed.subject ? { 'OCI-Subject': pushed.subject } : {}),
    });
  })
  .delete('/:ns/:name/manifests/:reference', manifestParams, requireScope('write'), async (c) => {
    const { deps } = c.var;
    const principal = c.var.principal!;
    const { repo, reference } = writeTarget(principal, deps.config.protectedTags, c.req.valid('param'));
    if (reference.kind === 'tag') {
      const deleted = await deleteOciTag(
        deps,
        repo,
        reference.tag,
        actorOf(principal),
        new URL(c.req.url).origin,
      );
      if (!deleted.ok) throw unknownManifest(repo, reference);
      return c.body(null, 202);
    }
    const row = await findManifest(deps, repo, reference);
    if (!row) throw unknownManifest(repo, reference);
    const tags = await tagsOfManifest(deps, row);
    assertCanMoveTags(principal, deps.config.protectedTags, [...tags.cairn, ...tags.oci]);
    await deleteOciManifest(deps, row, tags.cairn, actorOf(principal), new URL(c.req.url).origin);
    return c.body(null, 202);
  })
  .get(
    '/:ns/:name/tags/list',
    validate('param', repoParams),
    requireScope('read'),
    validate('query', pageQuery),
    async (c) => {
      const { ns, name } = c.req.valid('param');
      const { n, last } = c.req.valid('query');
      const repo = assertRepoReadable(c.var.principal, ns, name);
      if (!(await repoExists(c.var.deps, repo)))
        throw new ApiError('ARTIFACT_UNKNOWN', `no repository ${repo}`);
      const page = paging(`/v2/${repo}/tags/list`, n);
      const tags = page.limit === 0 ? [] : await listOciTags(c.var.deps, repo, page.limit, last);
      return c.json({ name: repo, tags }, 200, { 'Cache-Control': NO_CACHE, ...page.link(tags) });
    },
  )
  .get(
    '/:ns/:name/referrers/:digest',
    validate('param', repoParams.extend({ digest: digestSchema })),
    requireScope('read'),
    validate('query', z.object({ artifactType: z.string().min(1).max(255).optional() })),
    async (c) => {
      const { ns, name, digest } = c.req.valid('param');
      const { artifactType } = c.req.valid('query');
      const repo = assertRepoReadable(c.var.principal, ns, name);
      const { deps } = c.var;
      const [pushed, attested] = await Promise.all([
        referrers(deps, repo, digest, artifactType),
        attestationReferrers(deps, repo, digest),
      ]);
      const rows = [
        ...pushed,
        ...attested.filter((r) => artifactType === undefined || r.artifactType === artifactType),
      ];
      const manifests = rows.map((r) => ({
        mediaType: r.mediaType,
        digest: r.digest,
        size: r.size,
        ...(r.artifactType ? { artifactType: r.artifactType } : {}),
        ...(r.annotations ? { annotations: r.annotations } : {}),
      }));
      if (artifactType !== undefined) c.header('OCI-Filters-Applied', 'artifactType');
      c.header('Cache-Control', NO_CACHE);
      return c.body(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }), 200, {
        'Content-Type': OCI_INDEX,
      });
    },
  );
