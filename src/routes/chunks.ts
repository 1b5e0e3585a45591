/**
 * /v1/chunks: the upload side of chunk-level dedup (docs/API.md "Chunked uploads"). `known` says
 * which chunks the store already has (that this token may know of), `packs` receives new ones.
 * A file is then committed by PUT /v1/blobs/{digest}/recipe (routes/recipes.ts).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { CHUNK_ID_RE, KNOWN_MAX_CHUNKS, PACK_MAX_BYTES, PACK_MEDIA_TYPE } from '../contract/chunks';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { requireContentLength } from '../http/body-length';
import { unreachable } from '../lib/unreachable';
import { requireScope } from '../middleware/auth';
import { knownChunks } from '../services/chunks/lookup';
import { type PackFailure, receivePack } from '../services/chunks/packs';
import { validate } from '../validation';

export const chunkHashSchema = z.string().regex(CHUNK_ID_RE, 'a chunk id is 64 lowercase hex characters');

function packFailure(failure: PackFailure): ApiError {
  switch (failure.reason) {
    case 'invalid':
      return new ApiError('PACK_INVALID', `${failure.message}; nothing was stored`);
    case 'chunk-mismatch':
      return new ApiError(
        'CHUNK_DIGEST_MISMATCH',
        `chunk ${failure.index} does not hash to ${failure.chunk}; nothing of the pack was stored`,
        { index: failure.index, chunk: failure.chunk },
      );
    default:
      return unreachable(failure);
  }
}

export const chunkRoutes = new Hono<AppEnv>()
  .post(
    '/known',
    requireScope('write'),
    validate('json', z.object({ chunks: z.array(chunkHashSchema).min(1).max(KNOWN_MAX_CHUNKS) }).strict()),
    async (c) => {
      const { chunks } = c.req.valid('json');
      return c.json({ known: await knownChunks(c.var.deps, chunks, c.var.principal) });
    },
  )
  .post('/packs', requireScope('write'), async (c) => {
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== PACK_MEDIA_TYPE) {
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `send a pack as "Content-Type: ${PACK_MEDIA_TYPE}"`, {
        contentType: type || null,
      });
    }
    const length = requireContentLength(c.req.header('content-length'), PACK_MAX_BYTES, 'a pack');
    const body = c.req.raw.body;
    if (!body) throw new ApiError('PACK_INVALID', 'the pack is empty');
    const result = await receivePack(c.var.deps, c.var.principal, body, length);
    if (!result.ok) throw packFailure(result);
    const { pack, chunks, bytes, newChunks } = result;
    return c.json({ pack, chunks, bytes, newChunks }, 201);
  });
