/** OpenAPI operation table (see ./operations.ts): provenance, attestations, signing keys, tag policies. */
import { noContent, type Operation } from './operation';
import { ARTIFACT, VERSION } from './operations-artifacts';
import * as p from './schemas-provenance';

const BUNDLE = ['application/vnd.dev.sigstore.bundle.v0.3+json'];

export const PROVENANCE_OPERATIONS: Record<string, Operation> = {
  'GET /v1/artifacts/:ns/:name/versions/:sel/provenance': {
    resource: 'Provenance',
    summary: 'The registry-signed SLSA Provenance v1 statement of a version, as a Sigstore bundle v0.3',
    answers: { 200: { description: 'The bundle', media: BUNDLE, schema: p.sigstoreBundle } },
    errors: [...VERSION, 'NOT_FOUND'],
  },
  'GET /v1/artifacts/:ns/:name/versions/:sel/statement': {
    resource: 'Provenance',
    summary: 'The unsigned in-toto statement to sign: `slsa` or `model-signing` (model-transparency v1.0)',
    answers: {
      200: {
        description: 'The statement, canonical JSON',
        media: ['application/vnd.in-toto+json'],
        schema: p.statement,
      },
    },
    errors: VERSION,
  },
  'POST /v1/artifacts/:ns/:name/versions/:sel/attestations': {
    resource: 'Provenance',
    summary: 'Attach a signed Sigstore bundle; verified on arrival (key, signature, subject)',
    bytes: true,
    answers: {
      200: { description: 'Already attached', schema: p.attestationInfo },
      201: { description: 'Verified and stored', schema: p.attestationInfo },
    },
    errors: [
      ...VERSION,
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
      ['KEY_UNKNOWN', 422],
      'KEY_REVOKED',
      'SIGNATURE_INVALID',
      'SUBJECT_MISMATCH',
      'BLOB_BUSY',
    ],
  },
  'GET /v1/artifacts/:ns/:name/versions/:sel/attestations': {
    resource: 'Provenance',
    summary: "A version's attestations: signer, predicate type, verified",
    answers: { 200: { description: 'The attestations, oldest first', schema: p.attestationList } },
    errors: VERSION,
  },
  'GET /v1/artifacts/:ns/:name/versions/:sel/attestations/:digest': {
    resource: 'Provenance',
    summary: 'One stored attestation bundle, byte for byte',
    answers: { 200: { description: 'The bundle', media: BUNDLE, schema: p.sigstoreBundle } },
    errors: [...VERSION, 'NOT_FOUND'],
  },
  'POST /v1/keys': {
    resource: 'Provenance',
    summary: 'Register a public key attestations may be signed with (admin)',
    answers: { 201: { description: 'Registered', schema: p.keyInfo } },
    errors: ['KEY_INVALID', 'KEY_EXISTS', 'NAME_INVALID'],
  },
  'GET /v1/keys': {
    resource: 'Provenance',
    summary: "Signing keys, the registry's own marked",
    answers: { 200: { description: 'The keys', schema: p.keyList } },
    errors: [],
  },
  'DELETE /v1/keys/:keyId': {
    resource: 'Provenance',
    summary: 'Revoke a key (kept, marked; its attestations stop counting)',
    answers: { 204: noContent('Revoked') },
    errors: ['KEY_UNKNOWN'],
  },
  'GET /v1/artifacts/:ns/:name/policy': {
    resource: 'Provenance',
    summary: "An artifact's tag policies: the attestations a move needs",
    answers: { 200: { description: 'The policy', schema: p.policy } },
    errors: ARTIFACT,
  },
  'PUT /v1/artifacts/:ns/:name/policy': {
    resource: 'Provenance',
    summary: "Replace an artifact's tag policies (promote)",
    answers: { 200: { description: 'The policy as stored', schema: p.policy } },
    errors: [...ARTIFACT, 'TAG_INVALID', ['KEY_UNKNOWN', 422]],
  },
};
