/**
 * A version's attestations served as OCI referrers (services/oci/attestation-referrers.ts): listed
 * under every OCI manifest of the version in the Sigstore-bundle-in-OCI layout, the manifest
 * fetchable by its digest with exactly the listed bytes, its config (the empty blob) and layer
 * (the bundle) fetchable as blobs, under the same namespace rules as everything else.
 */
import { describe, expect, it } from 'vitest';
import { call, createToken, digestOf } from '../helpers/http';
import { imageManifest, OCI_INDEX, OCI_MANIFEST, oci, ociCode, putManifest } from '../helpers/oci';
import { postAttestation, registeredKey, signBytes, statementOf, type TestKey } from '../helpers/provenance';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

async function attest(
  name: string,
  sel: string,
  key: TestKey,
  type: 'model-signing' | 'slsa' = 'model-signing',
) {
  const bytes = new TextEncoder().encode(
    JSON.stringify(await signBytes(key, await statementOf(name, sel, type))),
  );
  const res = await postAttestation(name, sel, bytes);
  expect(res.status).toBe(201);
  const body = (await res.json()) as { digest: string; predicateType: string };
  return { ...body, bytes };
}

async function listReferrers(repo: string, digest: string, query = '', token?: string) {
  const res = await oci(`/v2/${repo}/referrers/${digest}${query}`, { token });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(OCI_INDEX);
  return { res, index: (await res.json()) as { manifests: Descriptor[] } };
}

/** A natively published model version and the digest of its generated OCI manifest. */
async function nativeVersion() {
  const name = uniqueName('acme', 'refs');
  await publishOk(name, { kind: 'model', files: [await storedFile('model.bin')] });
  return name;
}

async function pullDigest(repo: string, reference: string): Promise<string> {
  const res = await oci(`/v2/${repo}/manifests/${reference}`);
  expect(res.status).toBe(200);
  return res.headers.get('docker-content-digest')!;
}

describe('attestations as OCI referrers', () => {
  it('an attestation posted before the generated manifest was ever pulled is listed under it, in the cosign bundle layout', async () => {
    const name = await nativeVersion();
    const key = await registeredKey();
    const posted = await attest(name, '1', key);
    const subject = await oci(`/v2/${name}/manifests/1`);
    const subjectBytes = new Uint8Array(await subject.arrayBuffer());
    const subjectDigest = subject.headers.get('docker-content-digest')!;

    const { index } = await listReferrers(name, subjectDigest);
    expect(index.manifests).toHaveLength(1);
    const [d] = index.manifests as [Descriptor];
    expect(d).toMatchObject({
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE,
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': posted.predicateType,
      },
    });
    expect(d.annotations?.['org.opencontainers.image.created']).toMatch(/^\d{4}-\d\d-\d\dT/);

    // The manifest by digest: exactly the bytes the descriptor names, stable across reads.
    const got = await oci(`/v2/${name}/manifests/${d.digest}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe(OCI_MANIFEST);
    expect(got.headers.get('docker-content-digest')).toBe(d.digest);
    const bytes = new Uint8Array(await got.arrayBuffer());
    expect(await digestOf(bytes)).toBe(d.digest);
    expect(bytes.byteLength).toBe(d.size);
    const head = await oci(`/v2/${name}/manifests/${d.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(d.digest);
    expect((await listReferrers(name, subjectDigest)).index.manifests[0]?.digest).toBe(d.digest);

    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as {
      artifactType: string;
      config: Descriptor;
      layers: Descriptor[];
      subject: Descriptor;
      annotations: Record<string, string>;
    };
    expect(manifest.artifactType).toBe(BUNDLE);
    expect(manifest.config).toEqual({
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: EMPTY_DIGEST,
      size: 2,
    });
    expect(manifest.layers).toEqual([
      { mediaType: BUNDLE, digest: posted.digest, size: posted.bytes.byteLength },
    ]);
    expect(manifest.subject).toEqual({
      mediaType: OCI_MANIFEST,
      digest: subjectDigest,
      size: subjectBytes.byteLength,
    });
    expect(manifest.annotations).toEqual(d.annotations);

    // Its config and layer are blobs of the repository.
    const empty = await oci(`/v2/${name}/blobs/${EMPTY_DIGEST}`);
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('{}');
    const bundle = await oci(`/v2/${name}/blobs/${posted.digest}`);
    expect(bundle.status).toBe(200);
    expect(new Uint8Array(await bundle.arrayBuffer())).toEqual(posted.bytes);
  });

  it('lists every attestation of the version one posted after the pull too; artifactType filters', async () => {
    const name = await nativeVersion();
    const key = await registeredKey();
    const first = await attest(name, '1', key);
    const subject = await pullDigest(name, '1');
    const second = await attest(name, '1', key, 'slsa');
    const { index } = await listReferrers(name, subject);
    expect(index.manifests.map((m) => m.annotations?.['dev.sigstore.bundle.predicateType']).sort()).toEqual(
      [second.predicateType, first.predicateType].sort(),
    );

    const filtered = await listReferrers(name, subject, `?artifactType=${encodeURIComponent(BUNDLE)}`);
    expect(filtered.res.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(filtered.index.manifests).toHaveLength(2);
    const other = await listReferrers(name, subject, '?artifactType=application/vnd.example.sbom');
    expect(other.index.manifests).toEqual([]);
  });

  it('a manifest pushed by tag that became a version lists its attestations beside pushed referrers', async () => {
    const repo = uniqueName('acme', 'pushed');
    const image = await imageManifest(repo, [
      { title: 'weights.bin', mediaType: 'application/vnd.example.weights' },
    ]);
    expect((await putManifest(repo, 'v1', image.bytes)).status).toBe(201);
    const sbom = await imageManifest(repo, [{ title: 'sbom.json' }], {
      artifactType: 'application/vnd.example.sbom',
      subject: { mediaType: OCI_MANIFEST, digest: image.digest, size: image.bytes.byteLength },
    });
    expect((await putManifest(repo, sbom.digest, sbom.bytes)).status).toBe(201);
    const posted = await attest(repo, 'v1', await registeredKey());

    const { index } = await listReferrers(repo, image.digest);
    expect(index.manifests.map((m) => m.artifactType).sort()).toEqual([
      BUNDLE,
      'application/vnd.example.sbom',
    ]);
    const bundleRef = index.manifests.find((m) => m.artifactType === BUNDLE)!;
    const got = await oci(`/v2/${repo}/manifests/${bundleRef.digest}`);
    const manifest = JSON.parse(await got.text()) as { layers: Descriptor[]; subject: Descriptor };
    expect(manifest.layers[0]?.digest).toBe(posted.digest);
    expect(manifest.subject).toEqual({
      mediaType: OCI_MANIFEST,
      digest: image.digest,
      size: image.bytes.byteLength,
    });
    const onlySbom = await listReferrers(repo, image.digest, '?artifactType=application/vnd.example.sbom');
    expect(onlySbom.index.manifests.map((m) => m.digest)).toEqual([sbom.digest]);
  });

  it('a revoked key’s attestation is still listed (it was verified when posted: a fact)', async () => {
    const name = await nativeVersion();
    const key = await registeredKey();
    await attest(name, '1', key);
    expect((await call(`/v1/keys/${key.keyId}`, { method: 'DELETE' })).status).toBe(204);
    const { index } = await listReferrers(name, await pullDigest(name, '1'));
    expect(index.manifests).toHaveLength(1);
  });

  it('a version with no attestation, or a digest that is no manifest, has no referrers; an unknown referrer digest is MANIFEST_UNKNOWN', async () => {
    const name = await nativeVersion();
    expect((await listReferrers(name, await pullDigest(name, '1'))).index.manifests).toEqual([]);
    expect((await listReferrers(name, `sha256:${'a'.repeat(64)}`)).index.manifests).toEqual([]);
    const missing = await oci(`/v2/${name}/manifests/sha256:${'b'.repeat(64)}`);
    expect({ status: missing.status, code: await ociCode(missing) }).toEqual({
      status: 404,
      code: 'MANIFEST_UNKNOWN',
    });
  });

  it('namespace-limited tokens: readers of the namespace get the list, manifest and bundle; others see nothing', async () => {
    const name = await nativeVersion();
    const posted = await attest(name, '1', await registeredKey());
    const subject = await pullDigest(name, '1');
    const ref = (await listReferrers(name, subject)).index.manifests[0]!;

    const inside = await createToken(['read'], { namespaces: ['acme'] });
    expect((await listReferrers(name, subject, '', inside.token)).index.manifests).toEqual([ref]);
    expect((await oci(`/v2/${name}/manifests/${ref.digest}`, { token: inside.token })).status).toBe(200);
    const bundle = await oci(`/v2/${name}/blobs/${posted.digest}`, { token: inside.token });
    expect(bundle.status).toBe(200);
    expect((await oci(`/v2/${name}/blobs/${EMPTY_DIGEST}`, { token: inside.token })).status).toBe(200);

    const outside = await createToken(['read'], { namespaces: ['elsewhere'] });
    for (const path of [
      `/v2/${name}/referrers/${subject}`,
      `/v2/${name}/manifests/${ref.digest}`,
      `/v2/${name}/blobs/${posted.digest}`,
    ]) {
      const res = await oci(path, { token: outside.token });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
    // Through a repository of its own namespace, the other namespace's bundle is still unknown.
    const own = await oci(`/v2/elsewhere/x/blobs/${posted.digest}`, { token: outside.token });
    expect(own.status).toBe(404);
  });
});
