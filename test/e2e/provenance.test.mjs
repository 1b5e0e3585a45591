/**
 * Provenance end to end, checked by tools we did not write, against the real `npm start` server:
 *   - the README's recipes run verbatim with bash: curl + jq + plain openssl verify the registry's
 *     SLSA bundle (DSSE PAE + ECDSA signature), then sign a model-signing statement with an
 *     openssl key, post it, gate `production` on it, and see version 1 refused;
 *   - `@sigstore/verify` (key-based, empty trusted root, no transparency log) verifies the
 *     registry's bundle and the openssl-made one, and refuses either once its payload is edited;
 *   - over OCI: the attestation is a referrer of the version's manifest, Debian's `skopeo inspect
 *     --raw` fetches that referrer manifest by digest, and the bundle fetched as its /v2 layer
 *     verifies with `@sigstore/verify`;
 *   - `@sigstore/oci` (sigstore-js's OCI client, what `npm`'s provenance tooling attaches
 *     bundles with): it signs in through Cairn's Basic challenge, finds the referrers API, reads
 *     the attestation referrer Cairn serves, and attaches a bundle to the version's manifest as a
 *     referrer (Cairn answers `OCI-Subject`, so the client does not fall back to the tag schema).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { bundleFromJSON } from '@sigstore/bundle';
import { attachArtifactToImage, getImageDigest } from '@sigstore/oci';
// RegistryClient is @sigstore/oci's own /v2 client (the one attachArtifactToImage drives); its
// package has no exports map, so the module is imported by path.
import { RegistryClient } from '@sigstore/oci/dist/registry.js';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { startServer } from './harness.mjs';
import { httpOnlyFront } from './http-only-front.mjs';
import { assertRan, runRecipe, shellBlockAfter } from './readme-recipes.mjs';

const T = 120_000;
const TRAIN_MODEL = shellBlockAfter('<!-- recipe:train-model');
const VERIFY_PROVENANCE = shellBlockAfter('<!-- recipe:verify-provenance');
const SIGN_AND_GATE = shellBlockAfter('<!-- recipe:sign-and-gate');
const OCI_REFERRERS = shellBlockAfter('<!-- recipe:oci-referrers');

let server;
const it = (name, fn) => test(name, { timeout: T }, (t) => server.withLog(fn)(t));

async function api(path, init = {}) {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${server.token}`, ...(init.headers ?? {}) },
  });
  return { status: res.status, body: await res.json() };
}

const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/** Verifies a bundle with @sigstore/verify, trusting only the PEM keys given (by their key id). */
function sigstoreVerify(bundle, pems) {
  const keys = new Map(
    pems.map((pem) => {
      const key = createPublicKey(pem);
      return [
        createHash('sha256')
          .update(key.export({ type: 'spki', format: 'der' }))
          .digest('hex'),
        key,
      ];
    }),
  );
  const trust = toTrustMaterial(EMPTY_ROOT, (hint) => {
    const publicKey = keys.get(hint);
    if (!publicKey) throw new Error(`no trusted key ${hint}`);
    return { publicKey, validFor: () => true };
  });
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0 });
  return verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
}

function tampered(bundle) {
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
  statement.subject[0].name = 'someone-else';
  return {
    ...bundle,
    dsseEnvelope: {
      ...bundle.dsseEnvelope,
      payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
    },
  };
}

describe('provenance and signatures, end to end', () => {
  before(async () => {
    server = await startServer();
    assertRan(await runRecipe(server, TRAIN_MODEL, { timeout: T }), 'recipe:train-model');
  });
  after(() => server?.stop());

  it('README recipe: openssl verifies the registry-signed provenance', async () => {
    const run = await runRecipe(server, VERIFY_PROVENANCE, { timeout: T });
    assertRan(run, 'recipe:verify-provenance');
    assert.match(run.stdout, /Verified OK/);
    const dep = JSON.parse(run.stdout.trim().split('\n').at(-1));
    assert.equal(dep.annotations.resolvedFrom, 'acme/churn-data:latest');
    const data = await api('/v1/artifacts/acme/churn-data/versions/2');
    assert.equal(`sha256:${dep.digest.sha256}`, data.body.digest);
  });

  it('@sigstore/verify verifies the registry bundle with an empty trusted root, and refuses it edited', async () => {
    const res = await fetch(`${server.url}/v1/artifacts/acme/churn-model/versions/2/provenance`, {
      headers: { Authorization: `Bearer ${server.token}` },
    });
    const bundle = await res.json();
    const keys = (await api('/v1/keys')).body.items;
    const registry = keys.filter((k) => k.registry).map((k) => k.publicKey);
    assert.ok(sigstoreVerify(bundle, registry).key);
    assert.throws(() => sigstoreVerify(tampered(bundle), registry), /signature/i);
    // Another key does not verify it.
    const other = keys.filter((k) => !k.registry).map((k) => k.publicKey);
    assert.throws(() => sigstoreVerify(bundle, other));
  });

  it('README recipe: an openssl-signed model-signing bundle is accepted, gates production, and @sigstore/verify agrees', async () => {
    const run = await runRecipe(server, SIGN_AND_GATE, { timeout: T });
    assertRan(run, 'recipe:sign-and-gate');
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const [attestation, policy, moved, refused] = lines;
    assert.equal(attestation.verified, true);
    assert.equal(attestation.predicateType, 'https://model_signing/signature/v1.0');
    assert.deepEqual(Object.keys(policy.tags), ['production']);
    assert.equal(moved.tag, 'production');
    assert.equal(refused.error.code, 'POLICY_UNSATISFIED');
    assert.equal((await api('/v1/artifacts/acme/churn-model/tags')).body.production, moved.digest);

    const history = (await api('/v1/artifacts/acme/churn-model/tags/production/history')).body.items;
    assert.deepEqual(history[0].attestations, [attestation.digest]);

    const stored = await fetch(
      `${server.url}/v1/artifacts/acme/churn-model/versions/2/attestations/${attestation.digest}`,
      { headers: { Authorization: `Bearer ${server.token}` } },
    );
    const bundle = await stored.json();
    const signer = (await api('/v1/keys')).body.items.find((k) => k.keyId === attestation.keyId);
    assert.ok(sigstoreVerify(bundle, [signer.publicKey]).key);
    assert.throws(() => sigstoreVerify(tampered(bundle), [signer.publicKey]));
    // The model-signing statement's root is what model-transparency would compute from the files.
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    const root = createHash('sha256')
      .update(Buffer.concat(statement.predicate.resources.map((r) => Buffer.from(r.digest, 'hex'))))
      .digest('hex');
    assert.equal(statement.subject[0].digest.sha256, root);
    assert.equal(
      statement.predicate.resources[0].digest,
      createHash('sha256').update('model trained on 4 rows\n').digest('hex'),
    );
  });

  it('over OCI: the attestation is a referrer of the version; skopeo fetches its manifest; the bundle layer verifies', async () => {
    const auth = { Authorization: `Basic ${Buffer.from(`oci:${server.token}`).toString('base64')}` };
    const v2 = (path) => fetch(`${server.url}/v2/acme/churn-model${path}`, { headers: auth });
    const subject = (await v2('/manifests/2')).headers.get('docker-content-digest');
    const run = await runRecipe(server, OCI_REFERRERS, { timeout: T });
    assertRan(run, 'recipe:oci-referrers');
    const index = JSON.parse(run.stdout);
    const [ref] = index.manifests;
    assert.equal(index.manifests.length, 1);
    assert.equal(ref.artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(
      ref.annotations['dev.sigstore.bundle.predicateType'],
      'https://model_signing/signature/v1.0',
    );

    const front = await httpOnlyFront(server.url);
    try {
      const { stdout } = await promisify(execFile)(
        'skopeo',
        [
          '--insecure-policy',
          'inspect',
          '--raw',
          '--tls-verify=false',
          `--creds=oci:${server.token}`,
          `docker://${front.host}/acme/churn-model@${ref.digest}`,
        ],
        { env: { ...process.env, HOME: server.workDir } },
      );
      assert.equal(`sha256:${createHash('sha256').update(stdout).digest('hex')}`, ref.digest);
      const manifest = JSON.parse(stdout);
      assert.equal(manifest.subject.digest, subject);
      const layer = await v2(`/blobs/${manifest.layers[0].digest}`);
      const bytes = Buffer.from(await layer.arrayBuffer());
      assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, manifest.layers[0].digest);
      const bundle = JSON.parse(bytes.toString());
      const signer = (await api('/v1/keys')).body.items.find(
        (k) => k.keyId === bundle.verificationMaterial.publicKey.hint,
      );
      assert.ok(sigstoreVerify(bundle, [signer.publicKey]).key);
      assert.equal(await (await v2(`/blobs/${manifest.config.digest}`)).text(), '{}');
    } finally {
      await front.close();
    }
  });

  it('@sigstore/oci reads the attestation referrer Cairn serves and attaches a bundle through the referrers API', async () => {
    const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    const host = new URL(server.url).host;
    const imageName = `${host}/acme/churn-model`;
    const credentials = { username: 'cairn', password: server.token };
    const subject = await getImageDigest({ imageName, imageTag: '2', credentials });
    assert.match(subject, /^sha256:[0-9a-f]{64}$/);

    const client = new RegistryClient(host, 'acme/churn-model');
    await client.signIn(credentials);
    assert.equal(await client.checkVersion(), 'registry/2.0');
    assert.equal(await client.pingReferrers(), true);
    // The client reads manifests; the referrers list itself is one GET it has no call for.
    const auth = { Authorization: `Basic ${Buffer.from(`cairn:${server.token}`).toString('base64')}` };
    const referrers = async () =>
      (
        await (
          await fetch(`${server.url}/v2/acme/churn-model/referrers/${subject}`, { headers: auth })
        ).json()
      ).manifests;
    const [attestation] = (await referrers()).filter((m) => m.artifactType === BUNDLE);
    const read = await client.getManifest(attestation.digest);
    assert.equal(read.digest, attestation.digest);
    assert.equal(read.body.subject.digest, subject);
    assert.equal(read.body.layers[0].mediaType, BUNDLE);

    const bundle = Buffer.from(
      await (
        await fetch(`${server.url}/v2/acme/churn-model/blobs/${read.body.layers[0].digest}`, {
          headers: auth,
        })
      ).arrayBuffer(),
    );
    const attached = await attachArtifactToImage({
      imageName,
      imageDigest: subject,
      artifact: bundle,
      mediaType: BUNDLE,
      credentials,
      annotations: { 'org.example.copy': 'true' },
    }).catch((err) => {
      // OCIError hides the HTTP answer in its cause: say it.
      throw new Error(`${err.message}: ${err.cause?.message ?? err.cause}`);
    });
    assert.equal(attached.subjectDigest, subject);
    const after = await referrers();
    const listed = after.find((m) => m.digest === attached.digest);
    assert.equal(listed.artifactType, BUNDLE);
    assert.equal(listed.annotations['org.example.copy'], 'true');
    assert.ok(after.some((m) => m.digest === attestation.digest));
    // No referrers-tag-schema fallback was needed: no `sha256-…` tag exists.
    const tags = await (await fetch(`${server.url}/v2/acme/churn-model/tags/list`, { headers: auth })).json();
    assert.deepEqual(
      tags.tags.filter((t) => t.startsWith('sha256-')),
      [],
    );
  });
});
