/** OpenAPI operation table (see ./operations.ts): chunk-level dedup (docs/API.md "Chunked uploads"). */
import { z } from 'zod';
import { CHUNK_ID_RE, PACK_MEDIA_TYPE } from '../contract/chunks';
import type { Operation } from './operation';
import { digest } from './schemas';

const chunkId = z.string().regex(CHUNK_ID_RE);
const bytes = z.number().int();

export const knownChunksAnswer = z.object({ known: z.array(chunkId) });
export const packReceipt = z.object({ pack: z.string(), chunks: bytes, bytes, newChunks: bytes });
export const recipeCommitted = z.object({
  digest,
  size: bytes,
  chunks: bytes,
  newBytes: bytes,
  reusedBytes: bytes,
  verifiedBytes: bytes,
});
export const recipeProgress = z.object({ digest, size: bytes, verifiedBytes: bytes, verifiedThrough: bytes });
export const recipeExisted = z.object({ digest, size: bytes });

const countBytes = z.object({ count: bytes, bytes });
export const storageReport = z.object({
  logicalBytes: bytes,
  versionFileBytes: bytes,
  storedBytes: bytes,
  dedupRatio: z.number(),
  blobs: z.object({ whole: countBytes, chunked: countBytes }),
  packs: z.object({ count: bytes, bytes, liveBytes: bytes, deadBytes: bytes }),
  chunks: z.object({ count: bytes, bytes, live: bytes }),
});

export const CHUNK_OPERATIONS: Record<string, Operation> = {
  'GET /v1/admin/storage': {
    resource: 'Admin',
    summary: 'Logical vs stored bytes (whole blobs + chunk packs), live and dead pack bytes, dedup ratio',
    answers: { 200: { description: 'The storage report', schema: storageReport } },
    errors: [],
  },
  'POST /v1/chunks/known': {
    resource: 'Chunks',
    summary: 'Which of these chunks (1 to 10,000 SHA-256 ids) the store has and this token may know of',
    answers: { 200: { description: 'The known subset, in request order', schema: knownChunksAnswer } },
    errors: [],
  },
  'POST /v1/chunks/packs': {
    resource: 'Chunks',
    summary: 'Upload a pack of chunks; every chunk is hashed as it streams in',
    description: `Body: a pack (\`${PACK_MEDIA_TYPE}\`, src/contract/chunks.ts). Any chunk that does not hash to its index entry → 422 CHUNK_DIGEST_MISMATCH and nothing of the pack is kept.`,
    bytes: PACK_MEDIA_TYPE,
    answers: { 201: { description: 'Stored and verified', schema: packReceipt } },
    errors: [
      'PACK_INVALID',
      'CHUNK_DIGEST_MISMATCH',
      'LENGTH_REQUIRED',
      'BLOB_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
    ],
  },
  'PUT /v1/blobs/:digest/recipe': {
    resource: 'Chunks',
    summary: 'Commit a blob as its chunks in order, after the server verified they hash to the digest',
    description:
      '202 (with `Retry-After: 0`) when the request’s hashing budget ran out: progress is saved, repeat the same request.',
    answers: {
      200: { description: 'Already stored (whole or chunked): nothing rewritten', schema: recipeExisted },
      201: { description: 'Verified and committed', schema: recipeCommitted },
      202: { description: 'Verified in part; repeat the request', schema: recipeProgress },
    },
    errors: [
      'DIGEST_INVALID',
      'RECIPE_INVALID',
      'CHUNK_UNKNOWN',
      ['DIGEST_MISMATCH', 422],
      'SIZE_MISMATCH',
      'UPLOAD_IN_PROGRESS',
      'BLOB_BUSY',
    ],
  },
};
