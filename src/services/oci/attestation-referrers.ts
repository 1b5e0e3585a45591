/**
 * A version's attestations as OCI referrers (README "Provenance and signatures"), in the layout
 * cosign and actions/attest use for a Sigstore bundle in OCI (image-spec v1.1 "artifact" guidance):
 *   - an image manifest, `artifactType: application/vnd.dev.sigstore.bundle.v0.3+json`;
 *   - config: the OCI empty descriptor (`{}`, EMPTY_DIGEST);
 *   - one layer: the bundle blob as it was posted (its media type, digest, size);
 *   - subject: the version's OCI manifest (pushed, or generated.ts's), so
 *     `GET /v2/{repo}/referrers/{that digest}` lists it;
 *   - annotations: `dev.sigstore.bundle.content: dsse-envelope`,
 *     `dev.sigstore.bundle.predicateType`, `org.opencontainers.image.created` (when the attestation
 *     was stored, not when it was read).
 *
 * Synthesized on read, not recorded: the manifest is a pure function of an `attestations` row and
 * an `oci_manifests` row, serialized canonically (fixed key order, no whitespace), so its digest
 * is stable. Recording rows would need two hooks (an attestation posted before the version's
 * generated manifest was first pulled, and a manifest recorded after its attestations) plus
 * their own GC and deletion story; computing it from the two facts stays right by construction:
 * an attestation appears under every OCI manifest of its version, whenever either came, and goes
 * with its version. The cost is on `GET …/manifests/{referrer digest}`, which must find which pair
 * hashes to the digest: the repository's pairs, at most MAX_PAIRS, are rebuilt and hashed.
 *
 * A revoked key's attestation is still listed: it was verified when posted, and that is a fact;
 * whether to trust it now is the verifier's call (`GET /v1/…/attestations` says `verified: false`).
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import type { Deps } from '../../deps';
import { sha256Hex } from '../../lib/digest';
import { BUNDLE_MEDIA_TYPE } from '../provenance/bundle';
import { OCI_MANIFEST } from './manifest-format';

/** The OCI empty descriptor's bytes and digest (image-spec "Guidance for an empty descriptor"). */
export const EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';
export const EMPTY_BYTES = new TextEncoder().encode('{}');
export const EMPTY_DIGEST: Digest = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

/** Pairs rebuilt to find a referrer by its digest: beyond, an older referrer is not found by digest. */
const MAX_PAIRS = 5000;

export interface AttestationReferrer {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType: string;
  annotations: Record<string, string>;
  bytes: Uint8Array;
}

type PairRow = {
  subject_media_type: string;
  subject_digest: string;
  subject_size: number;
  digest: string;
  size: number;
  predicate_type: string;
  created_at: number;
};

async function referrerOf(r: PairRow): Promise<AttestationReferrer> {
  const annotations = {
    'dev.sigstore.bundle.content': 'dsse-envelope',
    'dev.sigstore.bundle.predicateType': r.predicate_type,
    'org.opencontainers.image.created': new Date(r.created_at).toISOString(),
  };
  const bytes = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_MEDIA_TYPE,
      config: { mediaType: EMPTY_MEDIA_TYPE, digest: EMPTY_DIGEST, size: EMPTY_BYTES.byteLength },
      layers: [{ mediaType: BUNDLE_MEDIA_TYPE, digest: r.digest, size: r.size }],
      subject: { mediaType: r.subject_media_type, digest: r.subject_digest, size: r.subject_size },
      annotations,
    }),
  );
  return {
    mediaType: OCI_MANIFEST,
    digest: `sha256:${await sha256Hex(bytes)}`,
    size: bytes.byteLength,
    artifactType: BUNDLE_MEDIA_TYPE,
    annotations,
    bytes,
  };
}

/** (OCI manifest of a version, attestation of that version) pairs in `repo`, newest first. */
function pairs(deps: Deps, repo: string, subject: Digest | null, limit: number) {
  return deps.db.all<PairRow>(sql`
    SELECT m.media_type AS subject_media_type, m.digest AS subject_digest, m.size AS subject_size,
           t.digest AS digest, t.size AS size, t.predicate_type AS predicate_type, t.created_at AS created_at
    FROM oci_manifests m
    JOIN artifacts a ON a.name = m.repo
    JOIN versions v ON v.artifact_id = a.id AND v.digest = m.version_digest
    JOIN attestations t ON t.version_id = v.id
    WHERE m.repo = ${repo} ${subject === null ? sql`` : sql`AND m.digest = ${subject}`}
    ORDER BY t.created_at DESC, t.digest, m.digest LIMIT ${limit}`);
}

/** The attestation referrers of `subject` in `repo` (none unless it is a version's OCI manifest). */
export async function attestationReferrers(
  deps: Deps,
  repo: string,
  subject: Digest,
): Promise<AttestationReferrer[]> {
  const rows = await pairs(deps, repo, subject, 1000);
  return Promise.all(rows.map(referrerOf));
}

/** The attestation referrer of `repo` whose manifest digest is `digest`, if any (see the header). */
export async function findAttestationReferrer(
  deps: Deps,
  repo: string,
  digest: Digest,
): Promise<AttestationReferrer | null> {
  for (const row of await pairs(deps, repo, null, MAX_PAIRS)) {
    const referrer = await referrerOf(row);
    if (referrer.digest === digest) return referrer;
  }
  return null;
}
