/**
 * Test helpers for provenance: client key pairs made with WebCrypto, registered through the API,
 * and statements signed into Sigstore bundles by the same code path a client would use.
 */
import { signStatement } from '../../src/services/provenance/bundle';
import { keyIdOf, parseSigningKey, type SigningKey, toPem } from '../../src/services/provenance/keys';
import { call } from './http';

export interface TestKey {
  signer: SigningKey;
  publicPem: string;
  keyId: string;
}

export async function newKey(algorithm: 'ecdsa-p256' | 'ed25519' = 'ecdsa-p256'): Promise<TestKey> {
  const params = algorithm === 'ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
  const signer = await parseSigningKey(toPem(pkcs8, 'PRIVATE KEY'));
  if (!signer) throw new Error('could not load the generated key');
  const spki = new Uint8Array((await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer);
  return { signer, publicPem: toPem(spki, 'PUBLIC KEY'), keyId: await keyIdOf(spki) };
}

/** A key registered by the admin (optionally limited to namespaces). */
export async function registeredKey(
  namespaces?: string[],
  algorithm: 'ecdsa-p256' | 'ed25519' = 'ecdsa-p256',
): Promise<TestKey> {
  const key = await newKey(algorithm);
  const res = await call('/v1/keys', {
    method: 'POST',
    json: {
      name: `k-${key.keyId.slice(0, 8)}`,
      publicKey: key.publicPem,
      ...(namespaces ? { namespaces } : {}),
    },
  });
  if (res.status !== 201) throw new Error(`key add failed: ${res.status} ${await res.text()}`);
  return key;
}

export async function statementOf(name: string, sel: string, type: 'slsa' | 'model-signing') {
  const res = await call(`/v1/artifacts/${name}/versions/${sel}/statement?type=${type}`);
  if (res.status !== 200) throw new Error(`statement failed: ${res.status} ${await res.text()}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function signBytes(key: TestKey, payload: Uint8Array) {
  return signStatement(key.signer, payload);
}

export function postAttestation(name: string, sel: string, body: BodyInit, token?: string | null) {
  return call(`/v1/artifacts/${name}/versions/${sel}/attestations`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json' },
    token,
  });
}
