/**
 * Provenance over the API: the registry-signed SLSA bundle, the unsigned statements, keys, and
 * client attestations verified on arrival (every tamper case refused with its own code).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { collectGarbage } from '../../src/services/gc';
import { parseBundle, verifyOpened } from '../../src/services/provenance/bundle';
import { toBase64 } from '../../src/services/provenance/dsse';
import { parsePublicKey, toPem } from '../../src/services/provenance/keys';
import { listKeys, registrySigningKey } from '../../src/services/provenance/signing-keys';
import { encodeStatement } from '../../src/services/provenance/statement';
import { call, createToken, errorCode, putBlob, randomBytes, testDeps, testEnv } from '../helpers/http';
import {
  newKey,
  postAttestation,
  registeredKey,
  signBytes,
  statementOf,
  type TestKey,
} from '../helpers/provenance';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';

interface KeyItem {
  keyId: string;
  publicKey: string;
  registry: boolean;
  current: boolean;
  revokedAt: string | null;
}

async function modelVersion(ns = 'acme') {
  const name = uniqueName(ns, 'prov');
  const data = await publishOk(`${ns}/${name.split('/')[1]}-data`, {
    kind: 'dataset',
    files: [await storedFile('d.csv')],
  });
  await call(`/v1/artifacts/${data.artifact}/tags/latest`, { method: 'PUT', json: { digest: data.digest } });
  const version = await publishOk(name, {
    kind: 'model',
    files: [await storedFile('weights/model.bin'), await storedFile('config.json')],
    inputs: [{ role: 'train', ref: `${data.artifact}:latest` }],
    code: { repo: 'https://example.com/acme/train.git', commit: 'a'.repeat(40) },
    environment: { lockfiles: [await storedFile('requirements.txt', 'numpy==2.0.0\n')] },
    params: { lr: 0.001 },
    tags: ['candidate'],
  });
  return { name, version, data };
}

const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

async function signed(key: TestKey, payload: Uint8Array) {
  return JSON.stringify(await signBytes(key, payload));
}

describe('GET …/provenance', () => {
  it('is a v0.3 bundle signed by the registry key /v1/keys lists as current, about this version', async () => {
    const { name, version, data } = await modelVersion();
    const res = await call(`/v1/artifacts/${name}/versions/1/provenance`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    const bundle = (await res.json()) as { verificationMaterial: { publicKey: { hint: string } } };
    const keys = ((await (await call('/v1/keys')).json()) as { items: KeyItem[] }).items;
    const registry = keys.find((k) => k.registry && k.current)!;
    expect(bundle.verificationMaterial.publicKey.hint).toBe(registry.keyId);
    const opened = parseBundle(bundle);
    if (!opened.ok) throw new Error(opened.reason);
    expect(await verifyOpened((await parsePublicKey(registry.publicKey))!, opened)).toBe(true);

    const statement = json(opened.payload);
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.subject[0].digest.sha256).toBe(version.digest.slice(7));
    expect(statement.subject.map((s: { name: string }) => s.name).slice(1)).toEqual([
      'config.json',
      'weights/model.bin',
    ]);
    const deps = statement.predicate.buildDefinition.resolvedDependencies;
    expect(deps[0]).toMatchObject({
      name: `${data.artifact}:latest`,
      digest: { sha256: data.digest.slice(7) },
      annotations: { role: 'train', resolvedFrom: `${data.artifact}:latest` },
    });
    expect(deps.find((d: { name: string }) => d.name === 'code').digest).toEqual({
      gitCommit: 'a'.repeat(40),
    });
    expect(deps.find((d: { name: string }) => d.name === 'requirements.txt')).toBeTruthy();
    expect(statement.predicate.buildDefinition.externalParameters.params).toEqual({ lr: 0.001 });
    expect(statement.predicate.buildDefinition.internalParameters.publishedBy).toBe('admin');
    expect(statement.predicate.runDetails.metadata.finishedOn).toMatch(/^\d{4}-/);
  });

  it('GET …/statement?type=model-signing lists every file with its digest; type=bogus is 400', async () => {
    const { name } = await modelVersion();
    const statement = json(await statementOf(name, '1', 'model-signing'));
    expect(statement.predicate.resources.map((r: { name: string }) => r.name)).toEqual([
      'config.json',
      'weights/model.bin',
    ]);
    expect(statement.subject).toHaveLength(1);
    const bad = await call(`/v1/artifacts/${name}/versions/1/statement?type=bogus`);
    expect(bad.status).toBe(400);
  });
});

describe('/v1/keys', () => {
  it('an admin adds and revokes keys; others cannot; bad PEM is KEY_INVALID; twice is KEY_EXISTS', async () => {
    const key = await newKey('ed25519');
    const writer = await createToken(['write']);
    const denied = await call('/v1/keys', {
      method: 'POST',
      token: writer.token,
      json: { name: 'k', publicKey: key.publicPem },
    });
    expect(denied.status).toBe(403);
    const bad = await call('/v1/keys', { method: 'POST', json: { name: 'k', publicKey: 'nope' } });
    expect(await errorCode(bad)).toBe('KEY_INVALID');
    const added = await call('/v1/keys', { method: 'POST', json: { name: 'k', publicKey: key.publicPem } });
    expect(added.status).toBe(201);
    expect(((await added.json()) as KeyItem).keyId).toBe(key.keyId);
    const again = await call('/v1/keys', { method: 'POST', json: { name: 'k', publicKey: key.publicPem } });
    expect(await errorCode(again)).toBe('KEY_EXISTS');
    expect((await call(`/v1/keys/${key.keyId}`, { method: 'DELETE', token: writer.token })).status).toBe(403);
    expect((await call(`/v1/keys/${key.keyId}`, { method: 'DELETE' })).status).toBe(204);
    const listed = ((await (await call('/v1/keys')).json()) as { items: KeyItem[] }).items;
    expect(listed.find((k) => k.keyId === key.keyId)?.revokedAt).toBeTruthy();
    expect(await errorCode(await call(`/v1/keys/${'0'.repeat(64)}`, { method: 'DELETE' }))).toBe(
      'KEY_UNKNOWN',
    );
  });
});

describe('POST …/attestations', () => {
  it('a model-signing bundle by a registered key is stored content-addressed and listed as verified', async () => {
    const { name } = await modelVersion();
    const key = await registeredKey(['acme'], 'ed25519');
    const body = await signed(key, await statementOf(name, '1', 'model-signing'));
    const res = await postAttestation(name, '1', body);
    expect(res.status).toBe(201);
    const created = (await res.json()) as { digest: string; verified: boolean; predicateType: string };
    expect(created).toMatchObject({
      verified: true,
      predicateType: 'https://model_signing/signature/v1.0',
      keyId: key.keyId,
    });
    expect((await postAttestation(name, '1', body)).status).toBe(200);
    const list = (await (await call(`/v1/artifacts/${name}/versions/1/attestations`)).json()) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(1);
    const raw = await call(`/v1/artifacts/${name}/versions/1/attestations/${created.digest}`);
    expect(await raw.text()).toBe(body);
    // Revoking the key later: still listed, no longer verified.
    await call(`/v1/keys/${key.keyId}`, { method: 'DELETE' });
    const after = (await (await call(`/v1/artifacts/${name}/versions/1/attestations`)).json()) as {
      items: { verified: boolean }[];
    };
    expect(after.items[0]?.verified).toBe(false);
  });

  it('an SLSA statement (the registry one, re-signed by a client) is accepted', async () => {
    const { name } = await modelVersion();
    const key = await registeredKey();
    const res = await postAttestation(
      name,
      'candidate',
      await signed(key, await statementOf(name, '1', 'slsa')),
    );
    expect(res.status).toBe(201);
  });

  describe('tamper cases, each refused with its code and nothing stored', () => {
    async function refused(name: string, body: BodyInit, code: string, status: number) {
      const res = await postAttestation(name, '1', body);
      expect({ status: res.status, code: await errorCode(res) }).toEqual({ status, code });
      const list = (await (await call(`/v1/artifacts/${name}/versions/1/attestations`)).json()) as {
        items: unknown[];
      };
      expect(list.items).toHaveLength(0);
    }

    it('payload edited after signing → SIGNATURE_INVALID', async () => {
      const { name } = await modelVersion();
      const key = await registeredKey();
      const bundle = await signBytes(key, await statementOf(name, '1', 'model-signing'));
      const statement = json(Uint8Array.from(atob(bundle.dsseEnvelope.payload), (ch) => ch.charCodeAt(0)));
      statement.predicate.serialization.allow_symlinks = true;
      bundle.dsseEnvelope.payload = toBase64(encodeStatement(statement));
      await refused(name, JSON.stringify(bundle), 'SIGNATURE_INVALID', 422);
    });

    it('a truncated signature → SIGNATURE_INVALID', async () => {
      const { name } = await modelVersion();
      const key = await registeredKey();
      const bundle = await signBytes(key, await statementOf(name, '1', 'model-signing'));
      bundle.dsseEnvelope.signatures[0]!.sig = bundle.dsseEnvelope.signatures[0]!.sig.slice(0, 40);
      await refused(name, JSON.stringify(bundle), 'SIGNATURE_INVALID', 422);
    });

    it('a statement for another version → SUBJECT_MISMATCH', async () => {
      const { name } = await modelVersion();
      const other = await modelVersion();
      const key = await registeredKey();
      await refused(
        name,
        await signed(key, await statementOf(other.name, '1', 'model-signing')),
        'SUBJECT_MISMATCH',
        422,
      );
      await refused(
        name,
        await signed(key, await statementOf(other.name, '1', 'slsa')),
        'SUBJECT_MISMATCH',
        422,
      );
    });

    for (const [label, edit] of [
      [
        'an extra file in resources',
        (r: { name: string; digest: string }[]) => r.push({ ...r[0]!, name: 'extra.bin' }),
      ],
      ['a missing file in resources', (r: unknown[]) => r.pop()],
      [
        'swapped file names',
        (r: { name: string }[]) => {
          const first = r[0]!.name;
          r[0]!.name = r[1]!.name;
          r[1]!.name = first;
        },
      ],
    ] as const) {
      it(`${label} → SUBJECT_MISMATCH`, async () => {
        const { name } = await modelVersion();
        const key = await registeredKey();
        const statement = json(await statementOf(name, '1', 'model-signing'));
        (edit as (r: unknown[]) => void)(statement.predicate.resources);
        await refused(name, await signed(key, encodeStatement(statement)), 'SUBJECT_MISMATCH', 422);
      });
    }

    it('an unregistered key → KEY_UNKNOWN; a key of another namespace → KEY_UNKNOWN', async () => {
      const { name } = await modelVersion();
      const payload = await statementOf(name, '1', 'model-signing');
      await refused(name, await signed(await newKey(), payload), 'KEY_UNKNOWN', 422);
      await refused(name, await signed(await registeredKey(['elsewhere']), payload), 'KEY_UNKNOWN', 422);
    });

    it('a revoked key → KEY_REVOKED', async () => {
      const { name } = await modelVersion();
      const key = await registeredKey();
      await call(`/v1/keys/${key.keyId}`, { method: 'DELETE' });
      await refused(
        name,
        await signed(key, await statementOf(name, '1', 'model-signing')),
        'KEY_REVOKED',
        422,
      );
    });

    it('a bundle of the wrong media type → UNSUPPORTED_MEDIA_TYPE; 1 MiB of junk → BAD_REQUEST', async () => {
      const { name } = await modelVersion();
      const key = await registeredKey();
      const bundle = await signBytes(key, await statementOf(name, '1', 'model-signing'));
      bundle.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
      await refused(name, JSON.stringify(bundle), 'UNSUPPORTED_MEDIA_TYPE', 415);
      const junk = new Uint8Array(1024 * 1024).map((_, i) => (i * 7919) % 251);
      await refused(name, junk, 'BAD_REQUEST', 400);
    });
  });
});

describe('garbage collection', () => {
  it("keeps an attestation's bundle past the grace period while its version lives", async () => {
    const { name } = await modelVersion();
    const key = await registeredKey();
    const res = await postAttestation(
      name,
      '1',
      await signed(key, await statementOf(name, '1', 'model-signing')),
    );
    const { digest } = (await res.json()) as { digest: string };
    const garbage = (await putBlob(randomBytes(100))).digest;
    await testEnv.DB.prepare('UPDATE blobs SET created_at = ?1 WHERE digest IN (?2, ?3)')
      .bind(Date.now() - 40 * 86_400_000, digest, garbage)
      .run();
    await collectGarbage(testDeps(), { dryRun: false, graceMs: 0, orphanPages: 0 });
    expect(await testDeps().blobs.head(garbage)).toBeNull();
    expect(await testDeps().blobs.head(digest as `sha256:${string}`)).not.toBeNull();
    expect((await call(`/v1/artifacts/${name}/versions/1/attestations/${digest}`)).status).toBe(200);
  });
});

describe('property: mutated bundles', () => {
  it('any edit of the signed payload or the signature is refused with a 4xx code, never stored, never a 5xx', async () => {
    const { name } = await modelVersion();
    const key = await registeredKey();
    const bundle = await signBytes(key, await statementOf(name, '1', 'model-signing'));
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.nat(63), async (inPayload, at, to) => {
        const copy = structuredClone(bundle);
        const field = inPayload ? copy.dsseEnvelope : copy.dsseEnvelope.signatures[0]!;
        const text = inPayload ? copy.dsseEnvelope.payload : copy.dsseEnvelope.signatures[0]!.sig;
        const i = at % (text.replace(/=+$/, '').length - 1);
        const swapped = B64[to] === text[i] ? B64[(to + 1) % 64]! : B64[to]!;
        const edited = text.slice(0, i) + swapped + text.slice(i + 1);
        if (inPayload) (field as { payload: string }).payload = edited;
        else (field as { sig: string }).sig = edited;
        const res = await postAttestation(name, '1', JSON.stringify(copy));
        expect([400, 422]).toContain(res.status);
        expect(['SIGNATURE_INVALID', 'BAD_REQUEST']).toContain(await errorCode(res));
      }),
      { numRuns: 25 },
    );
    const list = (await (await call(`/v1/artifacts/${name}/versions/1/attestations`)).json()) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(0);
  });
});

describe('the registry key', () => {
  it('rotation keeps the old public key listed (registry, no longer current)', async () => {
    const old = await registrySigningKey(testDeps());
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
    const rotated = testDeps({ registryKey: toPem(pkcs8, 'PRIVATE KEY') });
    const fresh = await registrySigningKey(rotated);
    expect(fresh?.algorithm).toBe('ed25519');
    const keys = await listKeys(rotated);
    expect(keys.find((k) => k.keyId === fresh!.keyId)).toMatchObject({ registry: true, current: true });
    expect(keys.find((k) => k.keyId === old!.keyId)).toMatchObject({ registry: true, current: false });
    // And the registry's keys cannot be revoked through the API.
    expect((await call(`/v1/keys/${old!.keyId}`, { method: 'DELETE' })).status).toBe(403);
  });

  it('without REGISTRY_SIGNING_KEY, …/provenance is 404 NOT_FOUND and statements still work', async () => {
    const { name } = await modelVersion();
    const app = createApp();
    const get = (path: string) =>
      app.fetch(
        new Request(`http://cairn.test${path}`, { headers: { Authorization: 'Bearer test-admin-token' } }),
        { ...testEnv, REGISTRY_SIGNING_KEY: undefined },
      );
    const res = await get(`/v1/artifacts/${name}/versions/1/provenance`);
    expect({ status: res.status, code: await errorCode(res) }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect((await get(`/v1/artifacts/${name}/versions/1/statement?type=slsa`)).status).toBe(200);
  });
});
