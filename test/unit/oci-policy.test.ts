/**
 * Policy-gated promotion over OCI: a manifest PUT by tag to a tag under a provenance policy is
 * refused like a /v1 move (403, OCI code DENIED, Cairn's POLICY_UNSATISFIED and what is missing in
 * the detail) and leaves no tag, no OCI record and no new version; with the attestation it lands.
 * A push that would create a version is refused by publish before the version row is written;
 * only the manifest's own bytes were stored (step 2 of services/oci/manifests.ts), a blob nothing
 * references, like an upload never used: garbage collection removes it.
 */
import { describe, expect, it } from 'vitest';
import { MODEL_SIGNING_PREDICATE } from '../../src/services/provenance/model-signing';
import { call } from '../helpers/http';
import { imageManifest, type OciError, oci, putManifest } from '../helpers/oci';
import { postAttestation, registeredKey, signBytes, statementOf, type TestKey } from '../helpers/provenance';
import { uniqueName } from '../helpers/registry';

const WEIGHTS = 'application/vnd.example.weights';

async function attest(name: string, sel: string, key: TestKey) {
  const bundle = await signBytes(key, await statementOf(name, sel, 'model-signing'));
  const res = await postAttestation(name, sel, JSON.stringify(bundle));
  expect(res.status).toBe(201);
  return ((await res.json()) as { digest: string }).digest;
}

/** A repository with version 1 pushed over OCI as `staging`, and `production` under a model-signing policy. */
async function gatedRepo() {
  const repo = uniqueName('acme', 'ocipol');
  const image = await imageManifest(repo, [{ title: 'weights.bin', mediaType: WEIGHTS }]);
  expect((await putManifest(repo, 'staging', image.bytes)).status).toBe(201);
  const key = await registeredKey();
  const rule = { predicateType: MODEL_SIGNING_PREDICATE, keys: [key.keyId] };
  const policy = await call(`/v1/artifacts/${repo}/policy`, {
    method: 'PUT',
    json: { tags: { production: [rule] } },
  });
  expect(policy.status).toBe(200);
  return { repo, image, key, rule };
}

async function expectDenied(res: Response, rule: unknown) {
  expect(res.status).toBe(403);
  const [error] = ((await res.json()) as OciError).errors;
  expect(error).toMatchObject({
    code: 'DENIED',
    detail: { cairnCode: 'POLICY_UNSATISFIED', tag: 'production', missing: [rule] },
  });
}

/** What a refused push must not have written: the Cairn tag, the OCI tag, the version count. */
async function state(repo: string) {
  const tags = (await (await call(`/v1/artifacts/${repo}/tags`)).json()) as Record<string, unknown>;
  const list = (await (await oci(`/v2/${repo}/tags/list`)).json()) as { tags: string[] };
  const production = await oci(`/v2/${repo}/manifests/production`);
  const versions = (await (await call(`/v1/artifacts/${repo}/versions`)).json()) as { items: unknown[] };
  return {
    cairnTags: Object.keys(tags).sort(),
    ociTags: list.tags,
    production: production.status,
    versions: versions.items.length,
  };
}

describe('OCI manifest PUT to a tag under policy', () => {
  it('an existing version without the attestation: 403 DENIED / POLICY_UNSATISFIED, nothing moved; with it, 201 and the tag moves', async () => {
    const { repo, image, key, rule } = await gatedRepo();
    const before = await state(repo);
    expect(before).toEqual({ cairnTags: ['staging'], ociTags: ['staging'], production: 404, versions: 1 });

    await expectDenied(await putManifest(repo, 'production', image.bytes), rule);
    expect(await state(repo)).toEqual(before);

    // An attestation by a key the rule does not name does not count.
    await attest(repo, 'staging', await registeredKey());
    await expectDenied(await putManifest(repo, 'production', image.bytes), rule);

    const relied = await attest(repo, 'staging', key);
    const ok = await putManifest(repo, 'production', image.bytes);
    expect(ok.status).toBe(201);
    expect(ok.headers.get('docker-content-digest')).toBe(image.digest);
    const pulled = await oci(`/v2/${repo}/manifests/production`);
    expect(pulled.headers.get('docker-content-digest')).toBe(image.digest);
    expect(await state(repo)).toMatchObject({ cairnTags: ['production', 'staging'], versions: 1 });
    const history = (await (await call(`/v1/artifacts/${repo}/tags/production/history`)).json()) as {
      items: { attestations?: string[] }[];
    };
    expect(history.items[0]?.attestations).toEqual([relied]);
  });

  it('a manifest that would be a NEW version (which cannot have attestations yet) is refused, with no version, record or tag written', async () => {
    const { repo, key, rule } = await gatedRepo();
    const before = await state(repo);
    const fresh = await imageManifest(repo, [{ title: 'weights.bin', mediaType: WEIGHTS }]);
    await expectDenied(await putManifest(repo, 'production', fresh.bytes), rule);
    expect(await state(repo)).toEqual(before);
    // No OCI record of it: not pullable by digest, no referrers under it.
    expect((await oci(`/v2/${repo}/manifests/${fresh.digest}`)).status).toBe(404);

    // The way in: push it untagged-by-policy, attest that version, then promote it.
    expect((await putManifest(repo, 'candidate', fresh.bytes)).status).toBe(201);
    await expectDenied(await putManifest(repo, 'production', fresh.bytes), rule);
    const versions = (await (await call(`/v1/artifacts/${repo}/versions`)).json()) as {
      items: { number: number }[];
    };
    expect(versions.items).toHaveLength(2);
    await attest(repo, 'candidate', key);
    expect((await putManifest(repo, 'production', fresh.bytes)).status).toBe(201);
  });
});
