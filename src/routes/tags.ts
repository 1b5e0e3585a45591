/**
 * /v1/artifacts/{ns}/{name}/tags: list, move by compare-and-swap (`expect`), delete, history.
 * Protected tags need `promote` (see services/tags.ts).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { NO_CACHE } from '../http/caching';
import { assertCanMoveTags, assertNamespaceWritable } from '../http/guards';
import { requireArtifact, tagUnknown } from '../http/lookups';
import { policyUnsatisfied } from '../http/provenance-errors';
import { tagConflict } from '../http/tag-errors';
import { unreachable } from '../lib/unreachable';
import { requireScope, requireToken } from '../middleware/auth';
import { findVersion } from '../services/artifacts';
import { actorOf } from '../services/auth';
import { explainTag } from '../services/explain';
import { deleteTag, listTags, moveTag, tagHistory } from '../services/tags';
import {
  artifactParams,
  digestSchema,
  numericPageQuerySchema,
  settableTagSchema,
  tagSchema,
  validate,
} from '../validation';

const tagParams = artifactParams.extend({ tag: tagSchema });
const reasonSchema = z.string().max(1024);

const moveSchema = z.object({
  digest: digestSchema,
  // Absent: unconditional; null: the tag must not exist yet; a digest: it must point there now.
  expect: digestSchema.nullable().optional(),
  reason: reasonSchema.optional(),
});

export const tagRoutes = new Hono<AppEnv>()
  .get('/', requireScope('read'), validate('param', artifactParams), async (c) => {
    const { ns, name } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    return c.json(await listTags(c.var.deps, artifact.id));
  })
  .put(
    '/:tag',
    requireToken(),
    validate('param', artifactParams.extend({ tag: settableTagSchema })),
    validate('json', moveSchema),
    async (c) => {
      const { ns, name, tag } = c.req.valid('param');
      const body = c.req.valid('json');
      const principal = c.var.principal!;
      assertNamespaceWritable(principal, ns);
      assertCanMoveTags(principal, c.var.deps.config.protectedTags, [tag]);
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, principal);
      const version = await findVersion(c.var.deps, artifact.id, { kind: 'digest', digest: body.digest });
      if (!version) {
        throw new ApiError(
          'VERSION_UNKNOWN',
          `${body.digest} is not a version of ${artifact.name}`,
          { digest: body.digest },
          { status: 422 },
        );
      }
      const moved = await moveTag(
        c.var.deps,
        artifact,
        {
          tag,
          digest: version.digest,
          expect: 'expect' in body ? body.expect : undefined,
          reason: body.reason ?? null,
        },
        actorOf(principal),
        new URL(c.req.url).origin,
      );
      if (!moved.ok) {
        switch (moved.reason) {
          case 'tag-conflict':
            throw tagConflict(artifact.name, moved);
          case 'policy-unsatisfied':
            throw policyUnsatisfied(artifact.name, moved.tag, moved.missing);
          default:
            unreachable(moved);
        }
      }
      return c.json(moved.move);
    },
  )
  .delete(
    '/:tag',
    requireToken(),
    validate('param', tagParams),
    validate('query', z.object({ reason: reasonSchema.optional() })),
    async (c) => {
      const { ns, name, tag } = c.req.valid('param');
      const principal = c.var.principal!;
      assertNamespaceWritable(principal, ns);
      assertCanMoveTags(principal, c.var.deps.config.protectedTags, [tag]);
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, principal);
      const deleted = await deleteTag(
        c.var.deps,
        artifact,
        tag,
        actorOf(principal),
        c.req.valid('query').reason ?? null,
        new URL(c.req.url).origin,
      );
      if (!deleted.ok) throw tagUnknown(artifact, deleted.tag);
      return c.body(null, 204);
    },
  )
  .get(
    '/:tag/history',
    requireScope('read'),
    validate('param', tagParams),
    validate('query', numericPageQuerySchema),
    async (c) => {
      const { ns, name, tag } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
      return c.json(await tagHistory(c.var.deps, artifact.id, tag, limit, cursor));
    },
  )
  .get('/:tag/explain', requireScope('read'), validate('param', tagParams), async (c) => {
    const { ns, name, tag } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    const explained = await explainTag(c.var.deps, artifact, tag);
    if (!explained.ok) throw tagUnknown(artifact, explained.tag);
    const { diff, move } = explained;
    c.header('Cache-Control', NO_CACHE);
    return c.json({ ...diff, move });
  });
