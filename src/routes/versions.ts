/**
 * /v1/artifacts/{ns}/{name}/versions: publish (POST), list, one version by number/tag/digest,
 * a file inside a version by path, and metrics annotations.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { manifestUrl, ociReference } from '../contract/urls';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { blobBusy, blobsMissing } from '../http/blob-errors';
import { blobResponse } from '../http/blob-response';
import { IMMUTABLE, NO_CACHE } from '../http/caching';
import { assertCanMoveTags, assertNamespaceWritable } from '../http/guards';
import { requireArtifact, requireVersion } from '../http/lookups';
import { policyUnsatisfied } from '../http/provenance-errors';
import { tagConflict } from '../http/tag-errors';
import { unreachable } from '../lib/unreachable';
import { requireScope } from '../middleware/auth';
import { publishSchema } from '../schemas/publish';
import { actorOf } from '../services/auth';
import { IDEMPOTENCY_KEY_RE } from '../services/idempotency';
import { type PublishFailure, publishVersion } from '../services/publish';
import { enqueuePublished } from '../services/tables/queue';
import { addMetrics, fileBlob, listVersions, versionDetail } from '../services/versions';
import { artifactParams, numericPageQuerySchema, pathProblem, selectorSchema, validate } from '../validation';

/** A 100,000-file publish is about 15 MB of JSON; anything far beyond is refused before parsing. */
export const MAX_PUBLISH_BODY_BYTES = 32 * 1024 * 1024;

const versionParams = artifactParams.extend({ sel: selectorSchema });

function publishFailure(artifact: string, failure: PublishFailure): ApiError {
  switch (failure.reason) {
    case 'kind-conflict':
      return new ApiError('KIND_CONFLICT', `${artifact} is a ${failure.kind}, not a ${failure.requested}`, {
        kind: failure.kind,
      });
    case 'duplicate-paths':
      return new ApiError(
        'PATH_INVALID',
        `${failure.list} has duplicate paths: ${failure.duplicates.slice(0, 5).join(', ')}`,
        { duplicates: failure.duplicates.slice(0, 100) },
      );
    case 'blobs-missing':
      return blobsMissing(
        failure.missing,
        `${failure.missing.length} referenced blob(s) are not stored; upload them first`,
      );
    case 'blobs-collected':
      return blobsMissing(
        failure.missing,
        `${failure.missing.length} referenced blob(s) were garbage-collected while this version was published; upload them again, then retry`,
      );
    case 'size-mismatch':
      return new ApiError(
        'SIZE_MISMATCH',
        `${failure.files.length} file(s) declare a size other than the stored blob's`,
        { files: failure.files.slice(0, 100) },
      );
    case 'refs-unknown':
      return new ApiError(
        'REF_UNKNOWN',
        `input ref(s) do not resolve: ${failure.refs.slice(0, 5).join(', ')}`,
        {
          refs: failure.refs,
        },
      );
    case 'being-deleted':
      return blobBusy(failure.digest);
    case 'idempotency-key-reused':
      return new ApiError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request', {
        key: failure.key,
      });
    case 'policy-unsatisfied':
      return policyUnsatisfied(artifact, failure.tag, failure.missing);
    case 'tag-conflict':
      return tagConflict(artifact, failure);
    default:
      return unreachable(failure);
  }
}

/** The request's ExecutionContext; none when the app is called without one (app.request in tests). */
function executionContextOf(c: Context<AppEnv>): Pick<ExecutionContext, 'waitUntil'> | null {
  try {
    return c.executionCtx;
  } catch {
    return null;
  }
}

export const versionRoutes = new Hono<AppEnv>()
  .post(
    '/',
    requireScope('write'),
    validate('param', artifactParams),
    validate('json', publishSchema, { maxBytes: MAX_PUBLISH_BODY_BYTES }),
    async (c) => {
      const { ns, name } = c.req.valid('param');
      const input = c.req.valid('json');
      const principal = c.var.principal!;
      assertNamespaceWritable(principal, ns);
      assertCanMoveTags(principal, c.var.deps.config.protectedTags, input.tags);

      const origin = new URL(c.req.url).origin;
      const key = c.req.header('idempotency-key');
      if (key !== undefined && !IDEMPOTENCY_KEY_RE.test(key)) {
        throw new ApiError('BAD_REQUEST', 'Idempotency-Key is 1-255 visible ASCII characters');
      }
      const result = await publishVersion(c.var.deps, principal, `${ns}/${name}`, input, {
        origin,
        ...(key !== undefined
          ? { idempotency: { key, request: `${c.req.path}\n${await c.req.text()}` } }
          : {}),
      });
      if (!result.ok) throw publishFailure(`${ns}/${name}`, result);
      if (result.kind === 'replayed') {
        return c.body(result.body, result.status, {
          'Content-Type': 'application/json',
          'Idempotent-Replayed': 'true',
        });
      }
      // Table profiles are computed off the request path; the cron sweep catches a lost hand-over.
      const { deps } = c.var;
      const ctx = executionContextOf(c);
      if (result.created && deps.profiles && ctx) {
        const queue = deps.profiles;
        ctx.waitUntil(
          enqueuePublished(deps, queue, result.digest).catch((e) =>
            console.error(
              JSON.stringify({ profiles: 'enqueue failed', digest: result.digest, error: String(e) }),
            ),
          ),
        );
      }
      return c.json(
        {
          artifact: result.artifact,
          version: result.version,
          digest: result.digest,
          manifestUrl: manifestUrl(origin, result.digest),
        },
        result.created ? 201 : 200,
      );
    },
  )
  .get(
    '/',
    requireScope('read'),
    validate('param', artifactParams),
    validate('query', numericPageQuerySchema),
    async (c) => {
      const { ns, name } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
      return c.json(await listVersions(c.var.deps, artifact.id, limit, cursor));
    },
  )
  .get('/:sel', requireScope('read'), validate('param', versionParams), async (c) => {
    const { ns, name, sel } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    const version = await requireVersion(c.var.deps, artifact, sel);
    const detail = await versionDetail(c.var.deps, artifact, version);
    // Metrics can be appended, so even a digest-addressed version view is revalidated.
    c.header('Cache-Control', NO_CACHE);
    const origin = new URL(c.req.url).origin;
    return c.json({
      ...detail,
      manifestUrl: manifestUrl(origin, version.digest),
      ociReference: ociReference(origin, artifact.name, version.number),
    });
  })
  .get('/:sel/files/*', requireScope('read'), validate('param', versionParams), async (c) => {
    const { ns, name, sel } = c.req.valid('param');
    const prefix = `/v1/artifacts/${ns}/${name}/versions/${c.req.param('sel')}/files/`;
    const rawPath = c.req.path.slice(prefix.length);
    let path: string;
    try {
      path = rawPath.split('/').map(decodeURIComponent).join('/');
    } catch {
      throw new ApiError('PATH_INVALID', 'the file path is not valid percent-encoding');
    }
    const problem = pathProblem(path);
    if (problem) throw new ApiError('PATH_INVALID', problem, { path });
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    const version = await requireVersion(c.var.deps, artifact, sel);
    const blob = await fileBlob(c.var.deps, version.id, path);
    if (!blob)
      throw new ApiError('NOT_FOUND', `${artifact.name}@${version.number} has no file ${path}`, { path });
    const response = await blobResponse(c, blob);
    // The bytes are immutable, but the URL is not when it names a tag.
    if (sel.kind === 'tag') response.headers.set('Cache-Control', NO_CACHE);
    else response.headers.set('Cache-Control', IMMUTABLE);
    return response;
  })
  .post(
    '/:sel/metrics',
    requireScope('write'),
    validate('param', versionParams),
    validate(
      'json',
      z.object({
        metrics: z
          .record(z.string().min(1).max(256), z.number())
          .refine((m) => Object.keys(m).length > 0, 'metrics is empty'),
      }),
    ),
    async (c) => {
      const { ns, name, sel } = c.req.valid('param');
      assertNamespaceWritable(c.var.principal!, ns);
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
      const version = await requireVersion(c.var.deps, artifact, sel);
      const metrics = await addMetrics(
        c.var.deps,
        version.id,
        c.req.valid('json').metrics,
        actorOf(c.var.principal),
      );
      return c.json(
        {
          version: version.number,
          digest: version.digest,
          metrics: metrics.merged,
          metricsHistory: metrics.history,
        },
        201,
      );
    },
  );
