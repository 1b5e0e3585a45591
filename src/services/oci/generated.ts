/**
 * Every Cairn version is pullable over OCI, however it was published: a version without an OCI
 * manifest of its own (published over /v1, the CLI or Git LFS) gets a deterministic one, the
 * same bytes every time, so its digest is stable:
 *   - config: the Cairn manifest itself (`application/vnd.cairn.manifest.v1+json`), so an OCI
 *     client gets the inputs, code, environment and params with the files;
 *   - layers: the files in the Cairn manifest's order (by path), `application/octet-stream`,
 *     each titled with its path (`org.opencontainers.image.title`), which oras and skopeo use as
 *     the file name;
 *   - annotations: the artifact's name and the version digest. No timestamps.
 * The first pull records it like a pushed manifest (bytes stored as a blob, an `oci_manifests`
 * row linked to the version, its references), so it is then also pullable by its digest.
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import { runBatch } from '../../db/client';
import type { OciManifestRow } from '../../db/schema';
import type { Deps } from '../../deps';
import { sha256Hex } from '../../lib/digest';
import { storeBlob } from '../blobs';
import { MANIFEST_MEDIA_TYPE, type ManifestV1 } from '../manifest';
import { MAX_MANIFEST_BYTES, OCI_MANIFEST, TITLE_ANNOTATION } from './manifest-format';

export async function generatedManifest(
  deps: Deps,
  repo: string,
  versionDigest: Digest,
): Promise<OciManifestRow | null> {
  const read = await deps.blobs.get(versionDigest);
  if (!read) return null;
  const text = await new Response(read.body).text();
  const cairn = JSON.parse(text) as ManifestV1;
  const config = new TextEncoder().encode(text);
  const annotations = { 'dev.cairn.artifact': repo, 'dev.cairn.version': versionDigest };
  const bytes = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: MANIFEST_MEDIA_TYPE, digest: versionDigest, size: config.byteLength },
      layers: cairn.files.map((f) => ({
        mediaType: 'application/octet-stream',
        digest: f.digest,
        size: f.size,
        annotations: { [TITLE_ANNOTATION]: f.path },
      })),
      annotations,
    }),
  );
  // 100,000 files make a manifest no OCI client would take: say so rather than serve it.
  if (bytes.byteLength > MAX_MANIFEST_BYTES) return null;
  const digest: Digest = `sha256:${await sha256Hex(bytes)}`;
  const stored = await storeBlob(deps, digest, bytes, bytes.byteLength);
  if (!stored.ok) return null;
  const now = deps.now();
  const refs = JSON.stringify([versionDigest, ...new Set(cairn.files.map((f) => f.digest))]);
  await runBatch(deps.db, [
    sql`INSERT INTO oci_manifests (repo, digest, media_type, artifact_type, subject, annotations, size, version_digest, created_at)
        VALUES (${repo}, ${digest}, ${OCI_MANIFEST}, ${MANIFEST_MEDIA_TYPE}, NULL, ${JSON.stringify(annotations)},
                ${bytes.byteLength}, ${versionDigest}, ${now})
        ON CONFLICT (repo, digest) DO NOTHING`,
    sql`INSERT INTO oci_manifest_refs (repo, manifest, digest)
        SELECT ${repo}, ${digest}, value FROM json_each(${refs}) WHERE true ON CONFLICT DO NOTHING`,
  ]);
  return {
    repo,
    digest,
    mediaType: OCI_MANIFEST,
    artifactType: MANIFEST_MEDIA_TYPE,
    subject: null,
    annotations,
    size: bytes.byteLength,
    versionDigest,
    createdAt: now,
  };
}
