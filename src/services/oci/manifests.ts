/**
 * OCI manifests over Cairn's store: one push, one history. Pushing a manifest (PUT /v2/…):
 *   1. the exact bytes are hashed (a digest reference must match), parsed (manifest-format.ts),
 *      and everything they reference must be a stored blob of the declared size, visible to the
 *      pusher (services/blobs.ts), so no manifest ever points at missing bytes;
 *   2. the bytes are stored as a blob like any other (verified put, GC fence);
 *   3. an image manifest pushed by tag becomes a Cairn version of `ns/name` through the one
 *      publish service (services/publish.ts): its files are the layers, named by their
 *      `org.opencontainers.image.title` (else `sha256-<hex>`), its kind from the artifact type,
 *      a dataset or code layer that is a version's file an input, source/revision annotations
 *      its code (lineage.ts);
 *      the tag moves there like any publish's tag (history, audit);
 *   4. one D1 batch records the manifest (linked to its version), its references (kept by
 *      garbage collection; a trigger refuses a reference to a blob GC has marked) and the OCI tag.
 * Step 4 comes after 3 so a failure leaves nothing an OCI client can see half-done: a retried PUT
 * finds the version already published (an idempotent re-publish) and completes the record.
 *
 * Tags: the Cairn tag (tags table) is the authority for a name that is one; `oci_tags` remembers
 * which OCI manifest a push named, so `GET …/manifests/<tag>` serves those exact bytes while the
 * Cairn tag still points at that manifest's version. An index pushed by tag becomes a version too
 * (its manifests' layers by platform, index-version.ts), so its tag is a Cairn tag like any other;
 * an index recorded before that rule, with no version, is served as an OCI-only tag. A version published without OCI is served a generated manifest (generated.ts).
 * Reads (what a reference names, tags list, referrers) are reads.ts.
 */
import { sql } from 'drizzle-orm';
import { type Digest, hexOf } from '../../contract/grammar';
import { type BatchStatement, runBatch } from '../../db/client';
import type { Kind } from '../../db/schema';
import type { Deps } from '../../deps';
import { sha256Hex } from '../../lib/digest';
import { pathProblem } from '../../validation';
import type { Principal } from '../auth';
import { type StoreFailure, storeBlob, storedSizes } from '../blobs';
import { type PublishFailure, publishVersion } from '../publish';
import type { Failure, Result } from '../result';
import { EMPTY_BYTES, EMPTY_DIGEST } from './attestation-referrers';
import { indexContent, layerFiles, type VersionContent } from './index-version';
import { codeOf, layerInputs } from './lineage';
import {
  type Descriptor,
  type ManifestInvalid,
  type ParsedManifest,
  parseManifest,
  referencedDescriptors,
  TITLE_ANNOTATION,
} from './manifest-format';

/** What follows `manifests/`: a tag, a digest, or (to pull) a Cairn version number. */
export type Reference =
  | { kind: 'tag'; tag: string }
  | { kind: 'digest'; digest: Digest }
  | { kind: 'number'; number: number };

export type PushFailure =
  | ManifestInvalid
  | Failure<'digest-mismatch', { digest: Digest }>
  | Failure<'blobs-missing', { missing: string[] }>
  | Failure<'size-mismatch', { digest: string; declared: number; stored: number }>
  | StoreFailure
  | PublishFailure;

export type PushResult = Result<
  { digest: Digest; subject: Digest | null; version: number | null },
  PushFailure
>;

/** The Cairn kind an OCI artifact becomes (ModelPack, KitOps ModelKit → model; dataset → dataset). */
export function kindOf(m: ParsedManifest): Kind {
  const types = [m.artifactType ?? '', ...m.layers.map((l) => l.mediaType)].join(' ');
  if (/model/i.test(m.artifactType ?? '')) return 'model';
  if (/dataset/i.test(m.artifactType ?? '')) return 'dataset';
  if (/weight|model/i.test(types)) return 'model';
  if (/dataset/i.test(types)) return 'dataset';
  return 'other';
}

/** A layer's file path: its title when that is a valid path, else a stable name from its digest. */
export function layerPath(layer: Descriptor): string {
  const title = layer.annotations?.[TITLE_ANNOTATION];
  return title && pathProblem(title) === null ? title : `sha256-${hexOf(layer.digest)}`;
}

/**
 * The spec's "referrers tag schema" (`sha256-<hex>`): the index a client without the referrers
 * API keeps of a digest's referrers. A list of signatures and SBOMs, not a release: it stays an
 * OCI-only tag instead of becoming a version.
 */
function isReferrersTagIndex(m: ParsedManifest, tag: string): boolean {
  return m.kind === 'index' && /^sha256-[0-9a-f]{64}$/.test(tag);
}

/** What a manifest pushed by tag becomes as a version (an index: index-version.ts). */
async function versionContent(
  deps: Deps,
  m: ParsedManifest,
): Promise<Result<VersionContent, ManifestInvalid>> {
  if (m.kind === 'index') return indexContent(deps, m, layerPath);
  return { ok: true, files: layerFiles(m.layers, layerPath), layers: m.layers, artifactType: m.artifactType };
}

async function checkReferences(
  deps: Deps,
  m: ParsedManifest,
  principal: Principal,
): Promise<Result<object, PushFailure>> {
  const wanted = referencedDescriptors(m);
  const sizes = await storedSizes(
    deps,
    wanted.map((d) => d.digest),
    principal,
  );
  // The OCI empty blob `{}` is served by its digest whether stored or not (routes/oci/blobs.ts),
  // so a client that HEADs it, sees 200 and skips the upload (docker, oras, @sigstore/oci) must
  // not then be told it is missing: it is stored here, like any blob, for GC and the ref fence.
  if (!sizes.has(EMPTY_DIGEST) && wanted.some((d) => d.digest === EMPTY_DIGEST)) {
    const stored = await storeBlob(deps, EMPTY_DIGEST, EMPTY_BYTES, EMPTY_BYTES.byteLength, principal);
    if (!stored.ok) return stored;
    sizes.set(EMPTY_DIGEST, stored.size);
  }
  const missing = [...new Set(wanted.filter((d) => !sizes.has(d.digest)).map((d) => d.digest))];
  if (missing.length > 0) return { ok: false, reason: 'blobs-missing', missing };
  const lie = wanted.find((d) => sizes.get(d.digest) !== d.size);
  if (lie) {
    return {
      ok: false,
      reason: 'size-mismatch',
      digest: lie.digest,
      declared: lie.size,
      stored: sizes.get(lie.digest)!,
    };
  }
  return { ok: true };
}

export async function pushManifest(
  deps: Deps,
  principal: Principal,
  repo: string,
  reference: Reference,
  bytes: Uint8Array,
  contentType: string | undefined,
  origin: string,
): Promise<PushResult> {
  const digest: Digest = `sha256:${await sha256Hex(bytes)}`;
  if (reference.kind === 'digest' && reference.digest !== digest)
    return { ok: false, reason: 'digest-mismatch', digest };
  const parsed = parseManifest(bytes, contentType);
  if (!parsed.ok) return parsed;
  const checked = await checkReferences(deps, parsed, principal);
  if (!checked.ok) return checked;
  const stored = await storeBlob(deps, digest, bytes, bytes.byteLength, principal);
  if (!stored.ok) return stored;

  let version: { number: number; digest: string } | null = null;
  if (reference.kind === 'tag' && !isReferrersTagIndex(parsed, reference.tag)) {
    const content = await versionContent(deps, parsed);
    if (!content.ok) return content;
    const published = await publishVersion(
      deps,
      principal,
      repo,
      {
        kind: kindOf({ ...parsed, artifactType: content.artifactType, layers: content.layers }),
        files: content.files,
        inputs: await layerInputs(deps, principal, repo, content.layers),
        code: codeOf(parsed.annotations),
        tags: [reference.tag],
      },
      { origin },
    );
    if (!published.ok) return published;
    if (published.kind !== 'published') throw new Error('a publish without an idempotency key replayed');
    version = { number: published.version, digest: published.digest };
  }
  try {
    await runBatch(
      deps.db,
      recordStatements(deps, repo, digest, parsed, bytes.byteLength, version?.digest ?? null, reference),
    );
  } catch (err) {
    if (/CAIRN_BLOB_NOT_LIVE/.test(String(err))) {
      return {
        ok: false,
        reason: 'blobs-missing',
        missing: referencedDescriptors(parsed).map((d) => d.digest),
      };
    }
    throw err;
  }
  return { ok: true, digest, subject: parsed.subject, version: version?.number ?? null };
}

function recordStatements(
  deps: Deps,
  repo: string,
  digest: Digest,
  m: ParsedManifest,
  size: number,
  versionDigest: string | null,
  reference: Reference,
): BatchStatement[] {
  const now = deps.now();
  const refs = JSON.stringify([...new Set(referencedDescriptors(m).map((d) => d.digest))]);
  return [
    sql`INSERT INTO oci_manifests (repo, digest, media_type, artifact_type, subject, annotations, size, version_digest, created_at)
        VALUES (${repo}, ${digest}, ${m.mediaType}, ${m.artifactType}, ${m.subject},
                ${m.annotations ? JSON.stringify(m.annotations) : null}, ${size}, ${versionDigest}, ${now})
        ON CONFLICT (repo, digest) DO UPDATE SET version_digest = COALESCE(excluded.version_digest, version_digest)`,
    sql`INSERT INTO oci_manifest_refs (repo, manifest, digest)
        SELECT ${repo}, ${digest}, value FROM json_each(${refs}) WHERE true
        ON CONFLICT DO NOTHING`,
    ...(reference.kind === 'tag'
      ? [
          sql`INSERT INTO oci_tags (repo, tag, manifest, updated_at) VALUES (${repo}, ${reference.tag}, ${digest}, ${now})
              ON CONFLICT (repo, tag) DO UPDATE SET manifest = excluded.manifest, updated_at = excluded.updated_at`,
        ]
      : []),
  ];
}
