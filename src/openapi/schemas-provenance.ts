/**
 * The provenance answers (src/contract/provenance.ts) as zod schemas for the OpenAPI document,
 * pinned to their contract types like ./schemas.ts.
 */
import { z } from 'zod';
import type { AttestationInfo, KeyInfo, Policy, SigstoreBundle } from '../contract/provenance';
import { type Assert, type Check, digest, timestamp } from './schemas';

const keyId = z.string().regex(/^[0-9a-f]{64}$/);

export const keyInfo = z.object({
  keyId,
  name: z.string(),
  algorithm: z.string(),
  publicKey: z.string(),
  namespaces: z.array(z.string()).nullable(),
  registry: z.boolean(),
  current: z.boolean(),
  createdAt: timestamp,
  createdBy: z.string(),
  revokedAt: timestamp.nullable(),
});
export const keyList = z.object({ items: z.array(keyInfo) });

export const attestationInfo = z.object({
  digest,
  predicateType: z.string(),
  keyId,
  signer: z.string(),
  registry: z.boolean(),
  verified: z.boolean(),
  keyRevokedAt: timestamp.nullable(),
  size: z.number().int(),
  createdAt: timestamp,
  createdBy: z.string(),
});
export const attestationList = z.object({ items: z.array(attestationInfo) });

const policyRule = z.object({ predicateType: z.string(), keys: z.array(keyId).optional() });
const policyMap = z.record(z.string(), z.array(policyRule));
export const policy = z.object({ tags: policyMap });

export const sigstoreBundle = z.object({
  mediaType: z.string(),
  verificationMaterial: z.object({
    publicKey: z.object({ hint: z.string() }),
    tlogEntries: z.array(z.unknown()),
    timestampVerificationData: z.object({ rfc3161Timestamps: z.array(z.unknown()) }),
  }),
  dsseEnvelope: z.object({
    payload: z.string(),
    payloadType: z.string(),
    signatures: z.array(z.object({ sig: z.string(), keyid: z.string().optional() })),
  }),
});

/** An in-toto Statement v1 (its predicate depends on `predicateType`). */
export const statement = z.object({
  _type: z.literal('https://in-toto.io/Statement/v1'),
  subject: z.array(z.looseObject({ name: z.string().optional(), digest: z.record(z.string(), z.string()) })),
  predicateType: z.string(),
  predicate: z.looseObject({}),
});

export type ProvenanceSchemasMatchTheContract = Assert<
  [
    Check<typeof keyInfo, KeyInfo>,
    Check<typeof attestationInfo, AttestationInfo>,
    Check<typeof policyMap, Policy>,
    Check<typeof sigstoreBundle, SigstoreBundle>,
  ]
>;
