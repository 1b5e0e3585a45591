/** OpenAPI operation table (see ./operations.ts): artifacts, versions, tags, manifests, lineage and diff routes. */
import * as d from './diff-schemas';
import { BYTES, blobAnswers, type ErrorAnswer, noContent, notModified, type Operation } from './operation';
import * as s from './schemas';

/** What naming an artifact, a version or a tag in the URL, or a ref, may answer. */
const ARTIFACT: ErrorAnswer[] = ['NAME_INVALID', 'ARTIFACT_UNKNOWN'];
const VERSION: ErrorAnswer[] = [
  ...ARTIFACT,
  'TAG_INVALID',
  'DIGEST_INVALID',
  'VERSION_UNKNOWN',
  'TAG_UNKNOWN',
];
const TAG: ErrorAnswer[] = [...ARTIFACT, 'TAG_INVALID'];
const REF: ErrorAnswer[] = ['REF_INVALID', 'TAG_UNKNOWN', 'VERSION_UNKNOWN'];

export const ARTIFACT_OPERATIONS: Record<string, Operation> = {
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
    errors: ARTIFACT,
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
    errors: ARTIFACT,
  },
  'GET /v1/artifacts/:ns/:name/versions/:sel': {
    resource: 'Versions',
    summary: 'One version by number, tag or digest, with its manifest and metrics',
    answers: { 200: { description: 'The version', schema: s.versionDetail } },
    errors: VERSION,
  },
  'GET /v1/artifacts/:ns/:name/versions/:sel/files/*': {
    resource: 'Versions',
    summary: 'One file of a version, by path (also HEAD; single ranges)',
    wildcard: 'path',
    answers: blobAnswers(BYTES),
    errors: [...VERSION, 'PATH_INVALID', 'NOT_FOUND', 'RANGE_NOT_SATISFIABLE'],
  },
  'POST /v1/artifacts/:ns/:name/versions/:sel/metrics': {
    resource: 'Versions',
    summary: 'Append metrics to a version (the manifest never changes)',
    answers: { 201: { description: 'The merged metrics', schema: s.metricsAdded } },
    errors: VERSION,
  },
  'GET /v1/artifacts/:ns/:name/tags': {
    resource: 'Tags',
    summary: 'Every tag of an artifact and the digest it points to',
    answers: { 200: { description: 'Tag → digest', schema: s.tagMap } },
    errors: ARTIFACT,
  },
  'PUT /v1/artifacts/:ns/:name/tags/:tag': {
    resource: 'Tags',
    summary: 'Move a tag, optionally compare-and-swap (`expect`); protected tags need `promote`',
    answers: { 200: { description: 'Moved', schema: s.tagMove } },
    errors: [...TAG, 'DIGEST_INVALID', ['VERSION_UNKNOWN', 422], 'TAG_CONFLICT'],
  },
  'DELETE /v1/artifacts/:ns/:name/tags/:tag': {
    resource: 'Tags',
    summary: 'Delete a tag (its history stays)',
    answers: { 204: noContent('Deleted') },
    errors: [...TAG, 'TAG_UNKNOWN'],
  },
  'GET /v1/artifacts/:ns/:name/tags/:tag/history': {
    resource: 'Tags',
    summary: "A tag's moves, newest first",
    answers: { 200: { description: 'One page', schema: s.tagHistoryPage } },
    errors: TAG,
  },
  'GET /v1/artifacts/:ns/:name/tags/:tag/explain': {
    resource: 'Tags',
    summary: "Explain a tag's last move: the diff between where it pointed and where it points",
    answers: { 200: { description: 'The move and the diff', schema: d.explanation } },
    errors: [...TAG, 'TAG_UNKNOWN'],
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
    errors: REF,
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
    errors: REF,
  },
  'GET /v1/impact/*': {
    resource: 'Lineage',
    summary: 'The downstream versions that protected tags point to now',
    wildcard: 'ref',
    answers: { 200: { description: 'The impacted versions', schema: s.impact } },
    errors: REF,
  },
  'GET /v1/diff': {
    resource: 'Lineage',
    summary: 'Two versions compared pillar by pillar (code, data, environment, params)',
    answers: { 200: { description: 'The diff', schema: d.versionDiff } },
    errors: REF,
  },
};
