/**
 * /v1/artifacts/{ns}/{name}/versions: publish (POST), list, one version by number/tag/digest,
 * a file inside a version by path, and metrics annotations.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { manifestUrl } from '../contract/urls';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { blobResponse } from '../http/blob-response';
import { IMMUTABLE, NO_CACHE } from '../http/caching';
import { sha256Hex } from '../lib/digest';
import { requireScope } from '../middleware/auth';
import { publishSchema } from '../schemas/publish';
import { requireArtifact, requireVersion } from '../services/artifacts';
import { actorOf, assertNamespaceWritable } from '../services/auth';
import { findReplay, IDEMPOTENCY_KEY_RE, recordPublish } from '../services/idempotency';
import { publishVersion } from '../services/publish';
import { assertCanMoveTags } from '../services/tags';
import { addMetrics, fileBlob, listVersions, versionDetail } from '../services/versions';
import { artifactParams, numericPageQuerySchema, pathProblem, selectorSchema, validate } from '../validation';

/** A 100,000-file publish is about 15 MB of JSON; anything far beyond is refused before parsing. */
export const MAX_PUBLISH_BODY_BYTES = 32 * 1024 * 1024;

const versionParams = artifactParams.extend({ sel: selectorSchema });

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
      assertCanMoveTags(principal, c.var.config.protectedTags, input.tags);

      const origin = new URL(c.req.url).origin;
      const key = c.req.header('idempotency-key');
      let record: Parameters<typeof publishVersion>[3];
      if (key !== undefined) {
        if (!IDEMPOTENCY_KEY_RE.test(key))
          throw new ApiError('BAD_REQUEST', 'Idempotency-Key is 1-255 visible ASCII characters');
        const requestHash = await sha256Hex(`${c.req.path}\n${await c.req.text()}`);
        const replay = await findReplay(c.var.db, principal.id, key, requestHash);
        if (replay) {
          return c.body(replay.body, replay.status as 200 | 201, {
            'Content-Type': 'application/json',
            'Idempotent-Replayed': 'true',
          });
        }
        record = (digest, status) => [
          recordPublish({ principalId: principal.id, key, requestHash, status, origin, digest }),
        ];
      }

      const result = await publishVersion(
        { db: c.var.db, bucket: c.env.BLOBS, principal },
        `${ns}/${name}`,
        input,
        record,
      );
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
      const artifact = await requireArtifact(c.var.db, `${ns}/${name}`, c.var.principal);
      return c.json(await listVersions(c.var.db, artifact.id, limit, cursor));
    },
  )
  .get('/:sel', requireScope('read'), validate('param', versionParams), async (c) => {
    const { ns, name, sel } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.db, `${ns}/${name}`, c.var.principal);
    const version = await requireVersion(c.var.db, artifact, sel);
    const detail = await versionDetail(c.var.db, c.env.BLOBS, artifact, version);
    // Metrics can be appended, so even a digest-addressed version view is revalidated.
    c.header('Cache-Control', NO_CACHE);
    return c.json({ ...detail, manifestUrl: manifestUrl(new URL(c.req.url).origin, version.digest) });
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
    const artifact = await requireArtifact(c.var.db, `${ns}/${name}`, c.var.principal);
    const version = await requireVersion(c.var.db, artifact, sel);
    const blob = await fileBlob(c.var.db, version.id, path);
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
      const artifact = await requireArtifact(c.var.db, `${ns}/${name}`, c.var.principal);
      const version = await requireVersion(c.var.db, artifact, sel);
      const metrics = await addMetrics(
        c.var.db,
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
