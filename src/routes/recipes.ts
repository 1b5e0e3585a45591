/**
 * PUT /v1/blobs/{digest}/recipe: commits a blob as its chunks in order, after the server verified
 * them (services/chunks/recipes.ts). 201 committed, 200 already stored, 202 the hashing budget ran
 * out (progress saved: repeat the same request).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { CHUNK_MAX_BYTES, RECIPE_MAX_BODY_BYTES, RECIPE_MAX_CHUNKS } from '../contract/chunks';
import type { Digest } from '../contract/grammar';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { BUSY_RETRY_SECONDS, blobBusy } from '../http/blob-errors';
import { unreachable } from '../lib/unreachable';
import { requireScope } from '../middleware/auth';
import { COMMIT_ATTEMPTS, commitRecipe, type RecipeFailure } from '../services/chunks/recipes';
import { digestSchema, validate } from '../validation';
import { chunkHashSchema } from './chunks';

const recipeBody = z
  .object({
    size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    chunks: z
      .array(z.tuple([chunkHashSchema, z.number().int().min(1).max(CHUNK_MAX_BYTES)]))
      .min(1)
      .max(RECIPE_MAX_CHUNKS),
  })
  .strict()
  .superRefine((recipe, ctx) => {
    const sum = recipe.chunks.reduce((total, [, length]) => total + length, 0);
    if (sum !== recipe.size) {
      ctx.addIssue({
        code: 'custom',
        path: ['chunks'],
        message: `the chunks' lengths add up to ${sum}, not to size ${recipe.size}`,
        params: { code: 'RECIPE_INVALID' },
      });
    }
  });

function recipeFailure(digest: Digest, failure: RecipeFailure): ApiError {
  switch (failure.reason) {
    case 'length-mismatch':
      return new ApiError(
        'RECIPE_INVALID',
        `chunk ${failure.index} (${failure.chunk}) is ${failure.storedLength} bytes, not what the recipe says`,
        { index: failure.index, chunk: failure.chunk, storedLength: failure.storedLength },
      );
    case 'chunk-unknown':
      return new ApiError(
        'CHUNK_UNKNOWN',
        `${failure.missing.length} chunk(s) of the recipe are not stored; upload them in packs (POST /v1/chunks/packs) and retry`,
        { missing: failure.missing },
      );
    case 'digest-mismatch':
      return new ApiError(
        'DIGEST_MISMATCH',
        `the recipe's chunks, in order, hash to ${failure.actual}, not to ${digest}; nothing was stored`,
        { digest, actual: failure.actual },
        { status: 422 },
      );
    case 'size-mismatch':
      return new ApiError('SIZE_MISMATCH', `${digest} is stored with ${failure.storedSize} bytes`, {
        digest,
        storedSize: failure.storedSize,
      });
    case 'being-deleted':
      return blobBusy(digest);
    case 'packs-contended':
      return new ApiError(
        'BLOB_BUSY',
        `garbage collection took packs holding chunks of ${digest} at each of ${COMMIT_ATTEMPTS} commits; nothing was stored — retry in a few seconds (send any chunks a retry lists as unknown)`,
        { digest },
        { headers: { 'Retry-After': String(BUSY_RETRY_SECONDS) } },
      );
    case 'assembly-in-progress':
      return new ApiError(
        'UPLOAD_IN_PROGRESS',
        `a multipart upload of ${digest} is being completed; retry shortly`,
        {
          digest,
        },
      );
    default:
      return unreachable(failure);
  }
}

export const recipeRoutes = new Hono<AppEnv>().put(
  '/:digest/recipe',
  validate('param', z.object({ digest: digestSchema })),
  requireScope('write'),
  validate('json', recipeBody, { maxBytes: RECIPE_MAX_BODY_BYTES }),
  async (c) => {
    const { digest } = c.req.valid('param');
    const { size, chunks } = c.req.valid('json');
    const recipe = { size, chunks: chunks.map(([hash, length]) => ({ hash, length })) };
    const result = await commitRecipe(c.var.deps, digest, recipe, c.var.principal);
    if (!result.ok) throw recipeFailure(digest, result);
    switch (result.status) {
      case 'created': {
        const { newBytes, reusedBytes, verifiedBytes } = result;
        return c.json({ digest, size, chunks: chunks.length, newBytes, reusedBytes, verifiedBytes }, 201);
      }
      case 'existed':
        return c.json({ digest, size }, 200);
      case 'partial':
        c.header('Retry-After', '0');
        return c.json(
          { digest, size, verifiedBytes: result.verifiedBytes, verifiedThrough: result.verifiedThrough },
          202,
        );
      default:
        return unreachable(result);
    }
  },
);
