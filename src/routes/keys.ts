/**
 * /v1/keys: the public keys attestations may be signed with. Anyone who may read lists them (the
 * registry's own keys marked `registry`, the one it signs with now `current`); only an admin adds
 * or revokes one. A revoked key stays listed: attestations it signed then read `verified: false`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { NO_CACHE } from '../http/caching';
import { unreachable } from '../lib/unreachable';
import { requireScope } from '../middleware/auth';
import { actorOf } from '../services/auth';
import { addKey, listKeys, revokeKey } from '../services/provenance/signing-keys';
import { segmentSchema, validate } from '../validation';

const newKeySchema = z.object({
  name: z.string().trim().min(1).max(128),
  publicKey: z.string().max(8192),
  namespaces: z.array(segmentSchema).min(1).max(100).optional(),
});

const keyIdParams = z.object({ keyId: z.string().regex(/^[0-9a-f]{64}$/, 'a key id is 64 lowercase hex') });

export const keyRoutes = new Hono<AppEnv>()
  .post('/', requireScope('admin'), validate('json', newKeySchema), async (c) => {
    const added = await addKey(c.var.deps, c.req.valid('json'), actorOf(c.var.principal));
    if (added.ok) return c.json(added.key, 201);
    switch (added.reason) {
      case 'key-invalid':
        throw new ApiError('KEY_INVALID', 'publicKey must be a PEM ECDSA P-256 or Ed25519 public key');
      case 'key-exists':
        throw new ApiError('KEY_EXISTS', `key ${added.keyId} is already registered`, { keyId: added.keyId });
      default:
        return unreachable(added);
    }
  })
  .get('/', requireScope('read'), async (c) => {
    c.header('Cache-Control', NO_CACHE);
    return c.json({ items: await listKeys(c.var.deps) });
  })
  .delete('/:keyId', requireScope('admin'), validate('param', keyIdParams), async (c) => {
    const { keyId } = c.req.valid('param');
    const revoked = await revokeKey(c.var.deps, keyId, actorOf(c.var.principal));
    if (revoked.ok) return c.body(null, 204);
    switch (revoked.reason) {
      case 'key-unknown':
        throw new ApiError('KEY_UNKNOWN', `no key ${keyId}`, { keyId });
      case 'registry-key':
        throw new ApiError('DENIED', 'the registry rotates its own keys through REGISTRY_SIGNING_KEY', {
          keyId,
        });
      default:
        return unreachable(revoked);
    }
  });
