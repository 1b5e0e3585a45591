/**
 * /v1/artifacts/{ns}/{name}/policy: per tag, the attestations a version needs before the tag
 * moves to it. Setting it needs `promote` (or `admin`): it decides who may promote.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { NO_CACHE } from '../http/caching';
import { assertNamespaceWritable } from '../http/guards';
import { requireArtifact } from '../http/lookups';
import { requireScope } from '../middleware/auth';
import { actorOf } from '../services/auth';
import { getPolicy, setPolicy } from '../services/provenance/policy';
import { artifactParams, settableTagSchema, validate } from '../validation';

const ruleSchema = z.object({
  predicateType: z.string().min(1).max(512),
  keys: z
    .array(z.string().regex(/^[0-9a-f]{64}$/, 'a key id is 64 lowercase hex'))
    .min(1)
    .max(100)
    .optional(),
});

const policySchema = z.object({
  tags: z
    .record(settableTagSchema, z.array(ruleSchema).max(20))
    .refine((t) => Object.keys(t).length <= 100, 'at most 100 tags'),
});

export const policyRoutes = new Hono<AppEnv>()
  .get('/', requireScope('read'), validate('param', artifactParams), async (c) => {
    const { ns, name } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    c.header('Cache-Control', NO_CACHE);
    return c.json({ tags: await getPolicy(c.var.deps, artifact.id) });
  })
  .put(
    '/',
    requireScope('promote'),
    validate('param', artifactParams),
    validate('json', policySchema),
    async (c) => {
      const { ns, name } = c.req.valid('param');
      assertNamespaceWritable(c.var.principal!, ns);
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
      const set = await setPolicy(
        c.var.deps,
        artifact.id,
        c.req.valid('json').tags,
        actorOf(c.var.principal),
      );
      if (!set.ok) {
        throw new ApiError(
          'KEY_UNKNOWN',
          `the policy names unregistered keys: ${set.keys.join(', ')}`,
          { keys: set.keys },
          {
            status: 422,
          },
        );
      }
      return c.json({ tags: set.policy });
    },
  );
