/**
 * Sigstore bundle v0.3 (protobuf-specs `sigstore_bundle.proto`, JSON mapping) carrying a DSSE
 * envelope signed with a plain key: no certificate, no transparency-log entry, so
 * `verificationMaterial.publicKey.hint` is how a verifier finds the key (here: the key id, hex
 * SHA-256 of the DER SubjectPublicKeyInfo). `@sigstore/verify` checks such a bundle offline with
 * an empty trusted root (test/cli/provenance-sigstore.test.mjs).
 *
 * `openBundle` is the arrival check's first half: shape, media type, one signature, and the
 * signature over PAE(payloadType, payload) by the key the caller resolved from the hint.
 */
import { z } from 'zod';
import type { SigstoreBundle } from '../../contract/provenance';
import type { Failure, Result } from '../result';
import { fromBase64, IN_TOTO_PAYLOAD_TYPE, pae, toBase64 } from './dsse';
import { type PublicKeyInfo, type SigningKey, verifySignature } from './keys';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export type { SigstoreBundle } from '../../contract/provenance';

export async function signStatement(key: SigningKey, payload: Uint8Array): Promise<SigstoreBundle> {
  const sig = await key.sign(pae(IN_TOTO_PAYLOAD_TYPE, payload));
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: key.keyId },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: toBase64(payload),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: toBase64(sig), keyid: '' }],
    },
  };
}

const bundleSchema = z.object({
  mediaType: z.string(),
  verificationMaterial: z.object({ publicKey: z.object({ hint: z.string().max(256) }).optional() }).loose(),
  dsseEnvelope: z.object({
    payload: z.string(),
    payloadType: z.string().max(256),
    signatures: z.array(z.object({ sig: z.string(), keyid: z.string().max(256).optional() })).min(1),
  }),
});

export type BundleProblem =
  | Failure<'malformed', { message: string }>
  | Failure<'media-type', { mediaType: string }>
  | Failure<'key-hint-missing'>;

export interface OpenedBundle {
  /** The key id the bundle names (hint, else the signature's keyid). */
  keyId: string;
  payloadType: string;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** Parses a bundle without verifying it: the caller resolves the key from `keyId`, then verifies. */
export function parseBundle(json: unknown): Result<OpenedBundle, BundleProblem> {
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: 'malformed', message: 'not a Sigstore bundle with a DSSE envelope' };
  }
  const bundle = parsed.data;
  if (bundle.mediaType !== BUNDLE_MEDIA_TYPE) {
    return { ok: false, reason: 'media-type', mediaType: bundle.mediaType };
  }
  const envelope = bundle.dsseEnvelope;
  if (envelope.signatures.length !== 1) {
    return { ok: false, reason: 'malformed', message: 'the envelope must carry exactly one signature' };
  }
  const [signature] = envelope.signatures;
  const keyId = bundle.verificationMaterial.publicKey?.hint || signature?.keyid;
  if (!keyId) return { ok: false, reason: 'key-hint-missing' };
  const payload = fromBase64(envelope.payload);
  const sig = fromBase64(signature?.sig ?? '');
  if (!payload || !sig)
    return { ok: false, reason: 'malformed', message: 'payload or signature is not base64' };
  return { ok: true, keyId, payloadType: envelope.payloadType, payload, signature: sig };
}

export function verifyOpened(key: Pick<PublicKeyInfo, 'algorithm' | 'key'>, opened: OpenedBundle) {
  return verifySignature(key, pae(opened.payloadType, opened.payload), opened.signature);
}
