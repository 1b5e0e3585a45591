/**
 * Provenance on the client side, with the server's own format code (src/services/provenance: pure
 * WebCrypto, no Worker APIs): load keys from PEM files, check a bundle's signature with a key we
 * trust, and check that its statement speaks about exactly the version we hold.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CairnClient, KeyInfo, Manifest, SigstoreBundle } from '../src/client/index';
import { parseBundle, verifyOpened } from '../src/services/provenance/bundle';
import {
  type PublicKeyInfo,
  parsePublicKey,
  parseSigningKey,
  type SigningKey,
} from '../src/services/provenance/keys';
import { checkSubject } from '../src/services/provenance/subject';
import { usageError } from './exit-codes';

/** Any private key openssl writes (PKCS#8, SEC1 "EC PRIVATE KEY"), as a WebCrypto signer. */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  let pkcs8: string;
  try {
    pkcs8 = createPrivateKey(await readFile(path))
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
  } catch (err) {
    throw usageError(`${path} is not a private key (${(err as Error).message})`);
  }
  const key = await parseSigningKey(pkcs8);
  if (!key) throw usageError(`${path}: only ECDSA P-256 and Ed25519 keys can sign`);
  return key;
}

export async function loadPublicKey(path: string): Promise<PublicKeyInfo> {
  let pem: string;
  try {
    pem = createPublicKey(await readFile(path))
      .export({ type: 'spki', format: 'pem' })
      .toString();
  } catch (err) {
    throw usageError(`${path} is not a public key (${(err as Error).message})`);
  }
  const key = await parsePublicKey(pem);
  if (!key) throw usageError(`${path}: only ECDSA P-256 and Ed25519 keys are supported`);
  return key;
}

export interface BundleCheck {
  ok: boolean;
  keyId: string;
  predicateType?: string;
  problem?: string;
}

/**
 * Checks one bundle offline: signed by `trusted` (the key whose id the bundle names), and its
 * statement about exactly the version whose verified manifest is `manifest` (digest `digest`).
 */
export async function checkBundle(
  bundle: SigstoreBundle | unknown,
  trusted: (keyId: string) => Promise<PublicKeyInfo | null>,
  digest: string,
  manifest: Manifest,
): Promise<BundleCheck> {
  const opened = parseBundle(bundle);
  if (!opened.ok) return { ok: false, keyId: '', problem: `not a v0.3 bundle (${opened.reason})` };
  const key = await trusted(opened.keyId);
  if (!key)
    return { ok: false, keyId: opened.keyId, problem: `signed by key ${opened.keyId}, which is not trusted` };
  if (!(await verifyOpened(key, opened))) {
    return { ok: false, keyId: opened.keyId, problem: 'the signature does not verify' };
  }
  const subject = await checkSubject(opened.payload, { digest, files: manifest.files });
  if (!subject.ok) return { ok: false, keyId: opened.keyId, problem: subject.message };
  return { ok: true, keyId: opened.keyId, predicateType: subject.predicateType };
}

/** A resolver of trusted keys: `pinned` (a --key file) if given, else the registry's listing. */
export function keyResolver(keys: KeyInfo[], pinned: PublicKeyInfo | null) {
  return async (keyId: string) => {
    if (pinned) return pinned.keyId === keyId ? pinned : null;
    const listed = keys.find((k) => k.keyId === keyId && k.revokedAt === null);
    return listed ? parsePublicKey(listed.publicKey) : null;
  };
}

export async function registryKeys(client: CairnClient): Promise<KeyInfo[]> {
  return client.listKeys();
}
