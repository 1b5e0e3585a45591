/**
 * The shape of one entry of the OpenAPI operation tables (./operations.ts), the resources they
 * are grouped by, and the answers several entries share.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../contract/errors';

/** The resources operations are grouped by (OpenAPI tags), in the order the reference shows them. */
export const RESOURCES = {
  Service: 'Health and this description of the API',
  Blobs: 'Content-addressed bytes: stored once, verified against their digest',
  Uploads: 'Multipart uploads of large blobs, resumable part by part',
  Artifacts: 'Named datasets and models (`ns/name`)',
  Versions: 'Immutable versions: publish, read, files, metrics, resolve a ref',
  Tags: 'Movable names for versions, with history; protected tags need `promote`',
  Manifests: 'The exact manifest of a version, by digest',
  Lineage: 'Upstream and downstream versions, impact of a change, diffs',
  Provenance: 'Signed provenance, client attestations, signing keys and tag policies',
  Tokens: 'API tokens (admin)',
  Admin: 'Audit log and garbage collection (admin)',
  Chunks: 'Chunk-level dedup: upload only the chunks the store lacks, commit a file as a recipe',
} as const;
export type Resource = keyof typeof RESOURCES;

export interface Answer {
  description: string;
  /** A JSON answer's schema (for `media`, when the body is JSON too). */
  schema?: z.ZodType;
  /** Media types of a non-JSON (or not only JSON) body; the first one carries `schema`. */
  media?: string[];
}

/** An error code, or one answered with 422 instead of its usual status (see ApiErrorOptions). */
export type ErrorAnswer = ErrorCode | [ErrorCode, 422];

export interface Operation {
  resource: Resource;
  summary: string;
  description?: string;
  answers: Record<number, Answer>;
  errors: ErrorAnswer[];
  /** The name of the parameter a `*` path tail stands for. */
  wildcard?: string;
  /**
   * The request body is raw bytes (validated by length and digest, not by a schema): `true` for
   * application/octet-stream, or the body's own media type.
   */
  bytes?: boolean | string;
}

export const BYTES = ['application/octet-stream'];
export const noContent = (description: string): Answer => ({ description });
export const notModified = noContent('Not modified: `If-None-Match` named the current ETag');
export const blobAnswers = (media: string[], schema?: z.ZodType) => ({
  200: {
    description: 'The bytes (ETag: the digest; HEAD answers the headers only)',
    media,
    ...(schema ? { schema } : {}),
  },
  206: { description: 'One `Range` of the bytes', media },
  304: notModified,
});
