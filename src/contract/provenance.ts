/**
 * Provenance answers (docs/API.md "Provenance, signatures and policies"): signing keys,
 * attestations, tag policies, and the Sigstore bundle v0.3 JSON shape the registry serves and
 * accepts (a DSSE envelope signed with a key named by `publicKey.hint`).
 */

export interface KeyInfo {
  /** Hex SHA-256 of the key's DER SubjectPublicKeyInfo. */
  keyId: string;
  name: string;
  algorithm: string;
  /** PEM SubjectPublicKeyInfo. */
  publicKey: string;
  namespaces: string[] | null;
  /** One of the registry's own keys. */
  registry: boolean;
  /** The key the registry signs with now. */
  current: boolean;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export interface NewKeyRequest {
  name: string;
  publicKey: string;
  namespaces?: string[];
}

export interface AttestationInfo {
  /** SHA-256 of the bundle bytes as received. */
  digest: string;
  predicateType: string;
  keyId: string;
  signer: string;
  registry: boolean;
  /** Verified on arrival and its key not revoked since. */
  verified: boolean;
  keyRevokedAt: string | null;
  size: number;
  createdAt: string;
  createdBy: string;
}

export interface PolicyRule {
  predicateType: string;
  /** Key ids allowed to satisfy the rule; absent: any registered key. */
  keys?: string[] | undefined;
}

/** Tag → the rules a move to that tag must meet (all of them). */
export type Policy = Record<string, PolicyRule[]>;

export interface SigstoreBundle {
  mediaType: string;
  verificationMaterial: {
    publicKey: { hint: string };
    tlogEntries: unknown[];
    timestampVerificationData: { rfc3161Timestamps: unknown[] };
  };
  dsseEnvelope: {
    payload: string;
    payloadType: string;
    signatures: { sig: string; keyid?: string }[];
  };
}
