/**
 * Provenance failures as API errors: one mapping, shared by the attestation, key, policy, tag and
 * publish routes, so a refused attestation or promotion reads the same wherever it happens.
 */
import { ApiError } from '../errors';
import { unreachable } from '../lib/unreachable';
import type { AttestFailure } from '../services/provenance/attestations';
import type { PolicyRule } from '../services/provenance/policy';

export function policyUnsatisfied(artifact: string, tag: string, missing: PolicyRule[]): ApiError {
  const what = missing.map((r) => r.predicateType).join(', ');
  return new ApiError(
    'POLICY_UNSATISFIED',
    `${artifact}:${tag} may only move to a version with these attestations: ${what}`,
    { tag, missing },
  );
}

export function attestFailure(failure: AttestFailure): ApiError {
  switch (failure.reason) {
    case 'malformed':
      return new ApiError('BAD_REQUEST', failure.message);
    case 'media-type':
      return new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        `the bundle's mediaType is ${failure.mediaType}, not application/vnd.dev.sigstore.bundle.v0.3+json`,
        { mediaType: failure.mediaType },
      );
    case 'key-hint-missing':
      return new ApiError('BAD_REQUEST', 'the bundle names no key (verificationMaterial.publicKey.hint)');
    case 'key-unknown':
      return new ApiError(
        'KEY_UNKNOWN',
        `no registered key ${failure.keyId}`,
        { keyId: failure.keyId },
        { status: 422 },
      );
    case 'key-outside-namespace':
      return new ApiError(
        'KEY_UNKNOWN',
        `key ${failure.keyId} is registered only for ${failure.namespaces.join(', ')}`,
        { keyId: failure.keyId, namespaces: failure.namespaces },
        { status: 422 },
      );
    case 'key-revoked':
      return new ApiError('KEY_REVOKED', `key ${failure.keyId} is revoked`, { keyId: failure.keyId });
    case 'signature-invalid':
      return new ApiError('SIGNATURE_INVALID', `the signature does not verify with key ${failure.keyId}`, {
        keyId: failure.keyId,
      });
    case 'payload-type':
      return new ApiError(
        'BAD_REQUEST',
        `payloadType ${failure.payloadType} is not application/vnd.in-toto+json`,
      );
    case 'not-a-statement':
      return new ApiError('BAD_REQUEST', failure.message);
    case 'subject-mismatch':
      return new ApiError('SUBJECT_MISMATCH', `the statement is not about this version: ${failure.message}`);
    case 'being-deleted':
      return new ApiError(
        'BLOB_BUSY',
        'garbage collection is deleting this bundle; retry',
        { digest: failure.digest },
        {
          headers: { 'Retry-After': '5' },
        },
      );
    default:
      return unreachable(failure);
  }
}
