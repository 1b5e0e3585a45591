/**
 * Client attestations: a Sigstore bundle posted for a version is verified on arrival, then kept.
 * Order (each step refuses with its own reason, nothing is stored before the last two):
 *   1. shape and media type (bundle.ts);
 *   2. the key the bundle names: registered, unrevoked, its namespaces cover the artifact;
 *   3. the signature over PAE(payloadType, payload), with WebCrypto;
 *   4. the statement speaks about this version exactly (subject.ts);
 *   5. the bundle bytes go to the blob store under their SHA-256 (a blob like any other);
 *   6. one conditional insert records it, only if the blob is live and the key still unrevoked
 *      at that instant (a revocation racing the post wins). GC keeps a blob an attestation names.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import type { AttestationInfo } from '../../contract/provenance';
import { runBatch } from '../../db/client';
import { type ArtifactRow, attestations, signingKeys, type VersionRow } from '../../db/schema';
import type { Deps } from '../../deps';
import { sha256Hex } from '../../lib/digest';
import { storeBlob } from '../blobs';
import type { Failure, Result } from '../result';
import { readManifest } from '../versions';
import { type BundleProblem, parseBundle, verifyOpened } from './bundle';
import { IN_TOTO_PAYLOAD_TYPE } from './dsse';
import { parsePublicKey } from './keys';
import { findKey } from './signing-keys';
import { checkSubject, type SubjectProblem } from './subject';

export type AttestFailure =
  | BundleProblem
  | SubjectProblem
  | Failure<'key-unknown', { keyId: string }>
  | Failure<'key-outside-namespace', { keyId: string; namespaces: string[] }>
  | Failure<'key-revoked', { keyId: string }>
  | Failure<'signature-invalid', { keyId: string }>
  | Failure<'payload-type', { payloadType: string }>
  | Failure<'being-deleted', { digest: Digest }>;

export type AttestationView = AttestationInfo;

export async function addAttestation(
  deps: Deps,
  artifact: ArtifactRow,
  version: VersionRow,
  bytes: Uint8Array,
  by: string,
): Promise<Result<{ attestation: AttestationView; created: boolean }, AttestFailure>> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return { ok: false, reason: 'malformed', message: 'the body is not JSON' };
  }
  const opened = parseBundle(json);
  if (!opened.ok) return opened;
  const { keyId } = opened;
  const key = await findKey(deps, keyId);
  if (!key) return { ok: false, reason: 'key-unknown', keyId };
  if (key.revokedAt !== null) return { ok: false, reason: 'key-revoked', keyId };
  if (key.namespaces && !key.namespaces.includes(artifact.namespace)) {
    return { ok: false, reason: 'key-outside-namespace', keyId, namespaces: key.namespaces };
  }
  const publicKey = await parsePublicKey(key.publicKey);
  if (!publicKey || !(await verifyOpened(publicKey, opened))) {
    return { ok: false, reason: 'signature-invalid', keyId };
  }
  if (opened.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { ok: false, reason: 'payload-type', payloadType: opened.payloadType };
  }
  const manifest = await readManifest(deps, version.digest);
  const subject = await checkSubject(opened.payload, { digest: version.digest, files: manifest.files });
  if (!subject.ok) return subject;

  const digest = `sha256:${await sha256Hex(bytes)}` as Digest;
  const stored = await storeBlob(deps, digest, bytes, bytes.byteLength);
  // Same digest means the same bytes: only GC's deletion can stand in the way.
  if (!stored.ok) return { ok: false, reason: 'being-deleted', digest };
  const at = deps.now();
  const [inserted = []] = await runBatch(deps.db, [
    sql`INSERT INTO attestations (version_id, digest, key_id, predicate_type, size, created_at, created_by)
        SELECT ${version.id}, ${digest}, ${keyId}, ${subject.predicateType}, ${bytes.byteLength}, ${at}, ${by}
        WHERE EXISTS (SELECT 1 FROM blobs WHERE digest = ${digest} AND state = 'live')
          AND EXISTS (SELECT 1 FROM signing_keys WHERE key_id = ${keyId} AND revoked_at IS NULL)
        ON CONFLICT (version_id, digest) DO NOTHING
        RETURNING digest`,
  ]);
  const [existing] = await listAttestations(deps, version.id, digest);
  if (inserted.length === 0 && !existing) {
    const again = await findKey(deps, keyId);
    if (again?.revokedAt !== null) return { ok: false, reason: 'key-revoked', keyId };
    return { ok: false, reason: 'being-deleted', digest };
  }
  return { ok: true, attestation: existing!, created: inserted.length > 0 };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A version's attestations, oldest first (or the one with `digest`). */
export async function listAttestations(
  deps: Deps,
  versionId: number,
  digest?: string,
): Promise<AttestationView[]> {
  const rows = await deps.db
    .select({ a: attestations, k: signingKeys })
    .from(attestations)
    .innerJoin(signingKeys, eq(signingKeys.keyId, attestations.keyId))
    .where(
      and(
        eq(attestations.versionId, versionId),
        digest === undefined ? undefined : eq(attestations.digest, digest),
      ),
    )
    .orderBy(asc(attestations.createdAt), asc(attestations.digest));
  return rows.map(({ a, k }) => ({
    digest: a.digest,
    predicateType: a.predicateType,
    keyId: a.keyId,
    signer: k.name,
    registry: k.registry,
    verified: k.revokedAt === null,
    keyRevokedAt: k.revokedAt === null ? null : iso(k.revokedAt),
    size: a.size,
    createdAt: iso(a.createdAt),
    createdBy: a.createdBy,
  }));
}
