/** OpenAPI operation table (see ./operations.ts): service, blobs, uploads, tokens and admin routes. */
import { BYTES, blobAnswers, type ErrorAnswer, noContent, notModified, type Operation } from './operation';
import * as s from './schemas';

/** What naming an upload session in the URL may answer. */
const SESSION: ErrorAnswer[] = ['UPLOAD_UNKNOWN', 'UPLOAD_EXPIRED'];

export const CORE_OPERATIONS: Record<string, Operation> = {
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
    errors: SESSION,
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
      ...SESSION,
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
    errors: ['UPLOAD_INCOMPLETE', 'DIGEST_MISMATCH', ...SESSION, 'UPLOAD_IN_PROGRESS', 'BLOB_BUSY'],
  },
  'DELETE /v1/uploads/:id': {
    resource: 'Uploads',
    summary: 'Abort an upload',
    answers: { 204: noContent('Aborted') },
    errors: [...SESSION, 'UPLOAD_IN_PROGRESS'],
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
