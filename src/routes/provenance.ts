/**
 * Provenance of one version, under /v1/artifacts/{ns}/{name}/versions/{sel}/:
 *   GET  provenance                the registry-signed SLSA v1 statement, as a Sigstore bundle
 *   GET  statement?type=…          the unsigned statement (`slsa` or `model-signing`) to sign
 *   POST attestations              a client's signed bundle: verified on arrival, then stored
 *   GET  attestations              the version's attestations (signer, predicate type, verified)
 *   GET  attestations/{digest}     one stored bundle, byte for byte
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Digest } from '../contract/grammar';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { NO_CACHE } from '../http/caching';
import { assertNamespaceWritable } from '../http/guards';
import { requireArtifact, requireVersion } from '../http/lookups';
import { attestFailure } from '../http/provenance-errors';
import { requireScope } from '../middleware/auth';
import { actorOf } from '../services/auth';
import { addAttestation, listAttestations } from '../services/provenance/attestations';
import { BUNDLE_MEDIA_TYPE } from '../services/provenance/bundle';
import { encodeStatement } from '../services/provenance/statement';
import { provenanceBundle, versionStatement } from '../services/provenance/statements';
import { artifactParams, digestSchema, selectorSchema, validate } from '../validation';

/** A model-signing statement for 100,000 files is ~15 MB once base64-encoded. */
export const MAX_BUNDLE_BYTES = 24 * 1024 * 1024;

const versionParams = artifactParams.extend({ sel: selectorSchema });

const limitBundle = bodyLimit({
  maxSize: MAX_BUNDLE_BYTES,
  onError: () => {
    throw new ApiError('PAYLOAD_TOO_LARGE', `a bundle is at most ${MAX_BUNDLE_BYTES} bytes`, {
      limit: MAX_BUNDLE_BYTES,
    });
  },
});

export const provenanceRoutes = new Hono<AppEnv>()
  .get('/:sel/provenance', requireScope('read'), validate('param', versionParams), async (c) => {
    const { ns, name, sel } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    const version = await requireVersion(c.var.deps, artifact, sel);
    const signed = await provenanceBundle(c.var.deps, artifact, version, new URL(c.req.url).origin);
    if (!signed.ok) {
      throw new ApiError(
        'NOT_FOUND',
        'this registry has no signing key (set the REGISTRY_SIGNING_KEY secret)',
      );
    }
    return c.body(JSON.stringify(signed.bundle), 200, {
      'Content-Type': BUNDLE_MEDIA_TYPE,
      'Cache-Control': NO_CACHE,
    });
  })
  .get(
    '/:sel/statement',
    requireScope('read'),
    validate('param', versionParams),
    validate('query', z.object({ type: z.enum(['slsa', 'model-signing']).default('slsa') })),
    async (c) => {
      const { ns, name, sel } = c.req.valid('param');
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
      const version = await requireVersion(c.var.deps, artifact, sel);
      const origin = new URL(c.req.url).origin;
      const statement = await versionStatement(
        c.var.deps,
        artifact,
        version,
        c.req.valid('query').type,
        origin,
      );
      return c.body(encodeStatement(statement), 200, {
        'Content-Type': 'application/vnd.in-toto+json',
        'Cache-Control': NO_CACHE,
      });
    },
  )
  .post(
    '/:sel/attestations',
    requireScope('write'),
    validate('param', versionParams),
    limitBundle,
    async (c) => {
      const { ns, name, sel } = c.req.valid('param');
      assertNamespaceWritable(c.var.principal!, ns);
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
      const version = await requireVersion(c.var.deps, artifact, sel);
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const added = await addAttestation(c.var.deps, artifact, version, bytes, actorOf(c.var.principal));
      if (!added.ok) throw attestFailure(added);
      return c.json(added.attestation, added.created ? 201 : 200);
    },
  )
  .get('/:sel/attestations', requireScope('read'), validate('param', versionParams), async (c) => {
    const { ns, name, sel } = c.req.valid('param');
    const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
    const version = await requireVersion(c.var.deps, artifact, sel);
    c.header('Cache-Control', NO_CACHE);
    return c.json({ items: await listAttestations(c.var.deps, version.id) });
  })
  .get(
    '/:sel/attestations/:digest',
    requireScope('read'),
    validate('param', versionParams.extend({ digest: digestSchema })),
    async (c) => {
      const { ns, name, sel, digest } = c.req.valid('param');
      const artifact = await requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
      const version = await requireVersion(c.var.deps, artifact, sel);
      const [found] = await listAttestations(c.var.deps, version.id, digest);
      const read = found ? await c.var.deps.blobs.get(digest as Digest) : null;
      if (!read)
        throw new ApiError('NOT_FOUND', `${artifact.name}@${version.number} has no attestation ${digest}`);
      return c.body(read.body, 200, {
        'Content-Type': BUNDLE_MEDIA_TYPE,
        'Content-Length': String(read.size),
      });
    },
  );
