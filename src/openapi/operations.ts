/**
 * What the OpenAPI document says about each route that the code cannot: a summary, the resource
 * it belongs to, its answers (with their schemas from ./schemas.ts) and the error codes it may
 * answer besides the ones every route shares (see ./document.ts). Parameters, request bodies and
 * scopes are NOT here: they come from the route's own `validate()` and `requireScope()`.
 *
 * Describing a new route: add an entry keyed `METHOD /path` exactly as `createApp().routes`
 * lists it (`:param`, a `*` tail named by `wildcard`). test/unit/openapi.test.ts fails until
 * every served /v1 route has one, and test/unit/openapi-responses.test.ts fails when a real
 * answer has a status or shape the entry does not declare.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../contract/errors';
import * as s from './schemas';

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
  Tokens: 'API tokens (admin)',
  Admin: 'Audit log and garbage collection (admin)',
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
  /** The request body is raw bytes (validated by length and digest, not by a schema). */
  bytes?: boolean;
}

const BYTES = ['application/octet-stream'];
const noContent = (description: string): Answer => ({ description });
const notModified = noContent('Not modified: `If-None-Match` named the current ETag');
const blobAnswers = (media: string[], schema?: z.ZodType) => ({
  200: {
    description: 'The bytes (ETag: the digest; HEAD answers the headers only)',
    media,
    ...(schema ? { schema } : {}),
  },
  206: { description: 'One `Range` of the bytes', media },
  304: notModified,
});

export const OPERATIONS: Record<string, Operation> = {
  'GET /v1/health': {
    resource: 'Service',
    summary: 'Liveness, with a D1 round trip',
    answers: { 200: { description: 'The service is up', schema: s.health } },
    errors: [],
  },
  'GET /v1/openapi.json': {
    resource: 'Service',
    summary: 'This OpenAPI 3.1 description of the API',
    description: 'Public: it describes the API, never data. Revalidated by ETag.',
    answers: { 200: { description: 'The OpenAPI document', schema: s.openApiDocument }, 304: notModified },
    errors: [],
  },
  'PUT /v1/blobs/:digest': {
    resource: 'Blobs',
    summary: 'Upload one blob; the server checks its bytes hash to the digest',
    bytes: true,
    answers: {
      200: { description: 'Already stored', schema: s.blobInfo },
      201: { description: 'Stored', schema: s.blobInfo },
    },
    errors: [
      'DIGEST_INVALID',
      'DIGEST_MISMATCH',
      'LENGTH_REQUIRED',
      'BLOB_TOO_LARGE',
      'SIZE_MISMATCH',
      'UPLOAD_IN_PROGRESS',
      'BLOB_BUSY',
    ],
  },
  'GET /v1/blobs/:digest': {
    resource: 'Blobs',
    summary: 'Download one blob (also HEAD; single ranges)',
    answers: blobAnswers(BYTES),
    errors: ['DIGEST_INVALID', 'BLOB_UNKNOWN', 'RANGE_NOT_SATISFIABLE'],
  },
  'POST /v1/blobs/check': {
    resource: 'Blobs',
    summary: 'Which of these digests are not stored (at most 1,000)',
    answers: { 200: { description: 'The missing digests', schema: s.missingBlobs } },
    errors: ['DIGEST_INVALID'],
  },
  'POST /v1/uploads': {
    resource: 'Uploads',
    summary: 'Start (or resume) a multipart upload of one large blob',
    answers: {
      200: {
        description: 'Resumed, or the blob is already stored (`exists: true`)',
        schema: s.uploadStarted,
      },
      201: { description: 'Started', schema: s.uploadStarted },
    },
    errors: ['DIGEST_INVALID', 'SIZE_INVALID', 'BLOB_TOO_LARGE', 'UPLOAD_IN_PROGRESS', 'BLOB_BUSY'],
  },
  'GET /v1/uploads/:id': {
    resource: 'Uploads',
    summary: 'An upload session and the parts it has received',
    answers: { 200: { description: 'The session', schema: s.upload } },
    errors: ['UPLOAD_UNKNOWN', 'UPLOAD_EXPIRED'],
  },
  'PUT /v1/uploads/:id/parts/:n': {
    resource: 'Uploads',
    summary: 'Send part n (1-based) of an upload',
    bytes: true,
    answers: { 200: { description: 'Received', schema: s.partReceipt } },
    errors: [
      'PART_INVALID',
      'SIZE_INVALID',
      'LENGTH_REQUIRED',
      'BLOB_TOO_LARGE',
      'UPLOAD_UNKNOWN',
      'UPLOAD_EXPIRED',
      'UPLOAD_IN_PROGRESS',
    ],
  },
  'POST /v1/uploads/:id/complete': {
    resource: 'Uploads',
    summary: 'Assemble the parts and verify the digest',
    answers: {
      200: { description: 'Already stored', schema: s.blobInfo },
      201: { description: 'Stored', schema: s.blobInfo },
    },
    errors: [
      'UPLOAD_INCOMPLETE',
      'DIGEST_MISMATCH',
      'UPLOAD_UNKNOWN',
      'UPLOAD_EXPIRED',
      'UPLOAD_IN_PROGRESS',
      'BLOB_BUSY',
    ],
  },
  'DELETE /v1/uploads/:id': {
    resource: 'Uploads',
    summary: 'Abort an upload',
    answers: { 204: noContent('Aborted') },
    errors: ['UPLOAD_UNKNOWN', 'UPLOAD_EXPIRED', 'UPLOAD_IN_PROGRESS'],
  },
  'GET /v1/artifacts': {
    resource: 'Artifacts',
    summary: 'List artifacts (by name prefix, paginated)',
    answers: { 200: { description: 'One page', schema: s.artifactPage } },
    errors: [],
  },
  'GET /v1/artifacts/:ns/:name': {
    resource: 'Artifacts',
    summary: 'One artifact: kind, tags, latest version',
    answers: { 200: { description: 'The artifact', schema: s.artifactDetail } },
    errors: ['NAME_INVALID', 'ARTIFACT_UNKNOWN'],
  },
  'POST /v1/artifacts/:ns/:name/versions': {
    resource: 'Versions',
    summary: 'Publish a version (files already uploaded as blobs); `Idempotency-Key` makes retries safe',
    answers: {
      200: { description: 'The same manifest was already published: that version', schema: s.published },
      201: { description: 'Published', schema: s.published },
    },
    errors: [
      'NAME_INVALID',
      'TAG_INVALID',
      'PATH_INVALID',
      'REF_INVALID',
      'DIGEST_INVALID',
      ['BLOB_UNKNOWN', 422],
      'SIZE_MISMATCH',
      'REF_UNKNOWN',
      'KIND_CONFLICT',
      'IDEMPOTENCY_KEY_REUSED',
      'BLOB_BUSY',
    ],
  },
  'GET /v1/artifacts/:ns/:name/versions': {
    resource: 'Versions',
    summary: 'List versions, newest first',
    answers: { 200: { description: 'One page', schema: s.versionPage } },
    errors: ['NAME_INVALID', 'ARTIFACT_UNKNOWN'],
  },
  'GET /v1/artifacts/:ns/:name/versions/:sel': {
    resource: 'Versions',
    summary: 'One version by number, tag or digest, with its manifest and metrics',
    answers: { 200: { description: 'The version', schema: s.versionDetail } },
    errors: [
      'NAME_INVALID',
      'TAG_INVALID',
      'DIGEST_INVALID',
      'ARTIFACT_UNKNOWN',
      'VERSION_UNKNOWN',
      'TAG_UNKNOWN',
    ],
  },
  'GET /v1/artifacts/:ns/:name/versions/:sel/files/*': {
    resource: 'Versions',
    summary: 'One file of a version, by path (also HEAD; single ranges)',
    wildcard: 'path',
    answers: blobAnswers(BYTES),
    errors: [
      'NAME_INVALID',
      'TAG_INVALID',
      'DIGEST_INVALID',
      'PATH_INVALID',
      'ARTIFACT_UNKNOWN',
      'VERSION_UNKNOWN',
      'TAG_UNKNOWN',
      'NOT_FOUND',
      'RANGE_NOT_SATISFIABLE',
    ],
  },
  'POST /v1/artifacts/:ns/:name/versions/:sel/metrics': {
    resource: 'Versions',
    summary: 'Append metrics to a version (the manifest never changes)',
    answers: { 201: { description: 'The merged metrics', schema: s.metricsAdded } },
    errors: [
      'NAME_INVALID',
      'TAG_INVALID',
      'DIGEST_INVALID',
      'ARTIFACT_UNKNOWN',
      'VERSION_UNKNOWN',
      'TAG_UNKNOWN',
    ],
  },
  'GET /v1/artifacts/:ns/:name/tags': {
    resource: 'Tags',
    summary: 'Every tag of an artifact and the digest it points to',
    answers: { 200: { description: 'Tag → digest', schema: s.tagMap } },
    errors: ['NAME_INVALID', 'ARTIFACT_UNKNOWN'],
  },
  'PUT /v1/artifacts/:ns/:name/tags/:tag': {
    resource: 'Tags',
    summary: 'Move a tag, optionally compare-and-swap (`expect`); protected tags need `promote`',
    answers: { 200: { description: 'Moved', schema: s.tagMove } },
    errors: [
      'NAME_INVALID',
      'TAG_INVALID',
      'DIGEST_INVALID',
      'ARTIFACT_UNKNOWN',
      ['VERSION_UNKNOWN', 422],
      'TAG_CONFLICT',
    ],
  },
  'DELETE /v1/artifacts/:ns/:name/tags/:tag': {
    resource: 'Tags',
    summary: 'Delete a tag (its history stays)',
    answers: { 204: noContent('Deleted') },
    errors: ['NAME_INVALID', 'TAG_INVALID', 'ARTIFACT_UNKNOWN', 'TAG_UNKNOWN'],
  },
  'GET /v1/artifacts/:ns/:name/tags/:tag/history': {
    resource: 'Tags',
    summary: "A tag's moves, newest first",
    answers: { 200: { description: 'One page', schema: s.tagHistoryPage } },
    errors: ['NAME_INVALID', 'TAG_INVALID', 'ARTIFACT_UNKNOWN'],
  },
  'GET /v1/artifacts/:ns/:name/tags/:tag/explain': {
    resource: 'Tags',
    summary: "Explain a tag's last move: the diff between where it pointed and where it points",
    answers: { 200: { description: 'The move and the diff', schema: s.explanation } },
    errors: ['NAME_INVALID', 'TAG_INVALID', 'ARTIFACT_UNKNOWN', 'TAG_UNKNOWN'],
  },
  'GET /v1/manifests/:digest': {
    resource: 'Manifests',
    summary: 'The exact manifest bytes of a version (immutable)',
    answers: blobAnswers(['application/vnd.cairn.manifest.v1+json'], s.manifest),
    errors: ['DIGEST_INVALID', 'VERSION_UNKNOWN', 'RANGE_NOT_SATISFIABLE'],
  },
  'GET /v1/resolve/*': {
    resource: 'Versions',
    summary: 'Which version a ref (`ns/name:tag`, `ns/name@3`, `ns/name@sha256:…`) names now',
    description: 'With `Accept: application/vnd.cairn.manifest.v1+json`: a 302 to the manifest.',
    wildcard: 'ref',
    answers: {
      200: { description: 'The version the ref names', schema: s.resolved },
      302: noContent('Redirect to the manifest URL'),
      304: notModified,
    },
    errors: ['REF_INVALID', 'TAG_UNKNOWN', 'VERSION_UNKNOWN'],
  },
  'GET /v1/lineage/*': {
    resource: 'Lineage',
    summary: 'The versions upstream and/or downstream of one version (JSON, Mermaid or DOT)',
    wildcard: 'ref',
    answers: {
      200: {
        description: 'The graph',
        schema: s.lineageGraph,
        media: ['application/json', 'text/plain', 'text/vnd.graphviz'],
      },
    },
    errors: ['REF_INVALID', 'TAG_UNKNOWN', 'VERSION_UNKNOWN'],
  },
  'GET /v1/impact/*': {
    resource: 'Lineage',
    summary: 'The downstream versions that protected tags point to now',
    wildcard: 'ref',
    answers: { 200: { description: 'The impacted versions', schema: s.impact } },
    errors: ['REF_INVALID', 'TAG_UNKNOWN', 'VERSION_UNKNOWN'],
  },
  'GET /v1/diff': {
    resource: 'Lineage',
    summary: 'Two versions compared pillar by pillar (code, data, environment, params)',
    answers: { 200: { description: 'The diff', schema: s.versionDiff } },
    errors: ['REF_INVALID', 'TAG_UNKNOWN', 'VERSION_UNKNOWN'],
  },
  'POST /v1/tokens': {
    resource: 'Tokens',
    summary: 'Create a token (the secret is shown once)',
    answers: { 201: { description: 'Created', schema: s.createdToken } },
    errors: ['NAME_INVALID'],
  },
  'GET /v1/tokens': {
    resource: 'Tokens',
    summary: 'List tokens (never their secrets)',
    answers: { 200: { description: 'One page', schema: s.tokenPage } },
    errors: [],
  },
  'DELETE /v1/tokens/:id': {
    resource: 'Tokens',
    summary: 'Revoke a token',
    answers: { 204: noContent('Revoked') },
    errors: ['TOKEN_UNKNOWN'],
  },
  'GET /v1/audit': {
    resource: 'Admin',
    summary: 'The audit log, newest first',
    answers: { 200: { description: 'One page', schema: s.auditPage } },
    errors: [],
  },
  'POST /v1/admin/gc': {
    resource: 'Admin',
    summary: 'Run garbage collection now (also hourly by Cron)',
    answers: { 200: { description: 'What was (or would be) deleted', schema: s.gcReport } },
    errors: [],
  },
};
