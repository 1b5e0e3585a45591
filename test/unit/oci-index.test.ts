/**
 * An OCI image index pushed by tag (Distribution Spec "Pushing manifests": an index is a
 * manifest like any other) becomes a Cairn version, so its tag is a Cairn tag: the same
 * compare-and-swap, history, audit and `promote` rule as an image manifest's
 * (services/oci/index-version.ts). What cannot become a version is refused with the reason.
 */
import { describe, expect, it } from 'vitest';
import { call, createToken, digestOf } from '../helpers/http';
import { imageManifest, OCI_INDEX, OCI_MANIFEST, oci, ociCode, putManifest } from '../helpers/oci';
import { uniqueName } from '../helpers/registry';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Two platform manifests of `repo`, pushed by digest (as skopeo/docker push an index's). */
async function platforms(repo: string) {
  const amd = await imageManifest(repo, [{ title: 'weights.bin' }], {
    artifactType: 'application/vnd.cncf.model.manifest.v1+json',
  });
  const arm = await imageManifest(repo, [{ title: 'weights.bin' }, { title: 'tokenizer.json' }]);
  const untagged = await imageManifest(repo, [{ title: 'sbom.json' }]);
  for (const m of [amd, arm, untagged]) expect((await putManifest(repo, m.digest, m.bytes)).status).toBe(201);
  const index = json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: amd.digest,
        size: amd.bytes.length,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: OCI_MANIFEST,
        digest: arm.digest,
        size: arm.bytes.length,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      { mediaType: OCI_MANIFEST, digest: untagged.digest, size: untagged.bytes.length },
    ],
  });
  return { amd, arm, untagged, index, digest: await digestOf(index) };
}

describe('an image index pushed by tag', () => {
  it('becomes a version (layers under platform directories) and its tag moves with history', async () => {
    const repo = uniqueName();
    const { amd, arm, untagged, index, digest } = await platforms(repo);
    const put = await putManifest(repo, 'multi', index, undefined, OCI_INDEX);
    expect(put.status).toBe(201);
    expect(put.headers.get('Docker-Content-Digest')).toBe(digest);

    const res = await call(`/v1/artifacts/${repo}/versions/multi`);
    expect(res.status).toBe(200);
    const version = (await res.json()) as { digest: string; tags: string[] };
    const manifest = (await (await call(`/v1/manifests/${version.digest}`)).json()) as {
      kind: string;
      files: { path: string; digest: string }[];
    };
    expect(manifest.kind).toBe('model');
    expect(manifest.files.map((f) => [f.path, f.digest]).sort()).toEqual(
      [
        ['linux-amd64/weights.bin', amd.layers[0]!.digest],
        ['linux-arm64-v8/weights.bin', arm.layers[0]!.digest],
        ['linux-arm64-v8/tokenizer.json', arm.layers[1]!.digest],
        [`sha256-${untagged.digest.slice(7, 19)}/sbom.json`, untagged.layers[0]!.digest],
      ].sort(),
    );
    const history = (await (await call(`/v1/artifacts/${repo}/tags/multi/history`)).json()) as {
      items: { from: string | null; to: string }[];
    };
    expect(history.items).toMatchObject([{ from: null, to: version.digest }]);
    // The tag serves the index's exact bytes, and the tags list names it once.
    const got = await oci(`/v2/${repo}/manifests/multi`);
    expect(got.headers.get('Content-Type')).toBe(OCI_INDEX);
    expect(got.headers.get('Docker-Content-Digest')).toBe(digest);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(index);
    const tags = (await (await oci(`/v2/${repo}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['multi']);

    // Moving the tag to an image manifest is one more history event, like any tag move.
    expect((await putManifest(repo, 'multi', amd.bytes)).status).toBe(201);
    const moved = (await (await call(`/v1/artifacts/${repo}/tags/multi/history`)).json()) as {
      items: { from: string | null }[];
    };
    expect(moved.items[0]).toMatchObject({ from: version.digest });
    expect((await oci(`/v2/${repo}/manifests/multi`)).headers.get('Docker-Content-Digest')).toBe(amd.digest);
  });

  it('to a protected tag needs promote: a write-only token gets 403 DENIED and nothing moves', async () => {
    const repo = uniqueName();
    const { index } = await platforms(repo);
    const { token } = await createToken(['read', 'write']);
    const refused = await putManifest(repo, 'production', index, token, OCI_INDEX);
    expect(refused.status).toBe(403);
    expect(await ociCode(refused)).toBe('DENIED');
    expect((await oci(`/v2/${repo}/manifests/production`)).status).toBe(404);
    expect((await call(`/v1/artifacts/${repo}/versions/production`)).status).toBe(404);
    const { token: promoter } = await createToken(['read', 'write', 'promote']);
    expect((await putManifest(repo, 'production', index, promoter, OCI_INDEX)).status).toBe(201);
  });

  it('a nested index is refused with the reason (MANIFEST_INVALID), and no tag moves; by digest it is kept', async () => {
    const repo = uniqueName();
    const { index, digest } = await platforms(repo);
    expect((await putManifest(repo, digest, index, undefined, OCI_INDEX)).status).toBe(201);
    const nested = json({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_INDEX, digest, size: index.length }],
    });
    const refused = await putManifest(repo, 'nested', nested, undefined, OCI_INDEX);
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('MANIFEST_INVALID');
    expect(body.errors[0]?.message).toMatch(/itself an index/);
    expect((await oci(`/v2/${repo}/manifests/nested`)).status).toBe(404);
    expect((await putManifest(repo, await digestOf(nested), nested, undefined, OCI_INDEX)).status).toBe(201);
  });

  it('the referrers tag schema (`sha256-<hex>`, for clients without the referrers API) stays an OCI-only tag, no version', async () => {
    const repo = uniqueName();
    const { index, digest } = await platforms(repo);
    const tag = `sha256-${digest.slice(7)}`;
    expect((await putManifest(repo, tag, index, undefined, OCI_INDEX)).status).toBe(201);
    const got = await oci(`/v2/${repo}/manifests/${tag}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('Docker-Content-Digest')).toBe(digest);
    expect((await call(`/v1/artifacts/${repo}/versions/${tag}`)).status).toBe(404);
  });
});
