/**
 * Signing keys, with WebCrypto only (the same code runs in the Worker and in Node):
 *   - public keys arrive as PEM SubjectPublicKeyInfo; a key's id is the hex SHA-256 of that DER,
 *     which is what a Sigstore bundle's `verificationMaterial.publicKey.hint` names;
 *   - ECDSA P-256 (SHA-256) and Ed25519. ECDSA signatures travel in DER (what openssl and
 *     sigstore produce and expect) while WebCrypto speaks raw r||s: derToRaw / rawToDer convert,
 *     strictly, so a truncated or padded signature is refused rather than "repaired";
 *   - the registry's own private key is PKCS#8 PEM or a JWK (the REGISTRY_SIGNING_KEY secret).
 */
import { toHex } from '../../lib/hex';
import { fromBase64, toBase64 } from './dsse';

export type KeyAlgorithm = 'ecdsa-p256' | 'ed25519';

/** WebCrypto's key type, spelled so it resolves under both the Workers and the Node typings. */
type WebKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
type Jwk = { kty?: string; d?: string; key_ops?: string[] } & Record<string, unknown>;

export interface PublicKeyInfo {
  keyId: string;
  algorithm: KeyAlgorithm;
  /** Normalised PEM (one base64 body, 64-character lines). */
  pem: string;
  key: WebKey;
}

export interface SigningKey {
  keyId: string;
  algorithm: KeyAlgorithm;
  publicPem: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ED25519 = { name: 'Ed25519' } as const;

function pemBody(pem: string, label: string): Uint8Array | null {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  return match?.[1] ? fromBase64(match[1].replace(/\s+/g, '')) : null;
}

export function toPem(der: Uint8Array, label: string): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export async function keyIdOf(spki: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', spki));
}

async function tryImport(format: 'spki' | 'pkcs8', der: Uint8Array, usage: 'sign' | 'verify') {
  for (const [algorithm, params] of [
    ['ecdsa-p256', ECDSA],
    ['ed25519', ED25519],
  ] as const) {
    try {
      return { algorithm, key: await crypto.subtle.importKey(format, der, params, true, [usage]) };
    } catch {
      // Not this algorithm (or not a key at all): try the next.
    }
  }
  return null;
}

/** A PEM public key, or null when it is not an ECDSA P-256 or Ed25519 SubjectPublicKeyInfo. */
export async function parsePublicKey(pem: string): Promise<PublicKeyInfo | null> {
  const der = pemBody(pem, 'PUBLIC KEY');
  if (!der) return null;
  const imported = await tryImport('spki', der, 'verify');
  if (!imported) return null;
  // Re-export: the id is over the canonical DER, not over whatever bytes were sent.
  const spki = new Uint8Array((await crypto.subtle.exportKey('spki', imported.key)) as ArrayBuffer);
  return { ...imported, keyId: await keyIdOf(spki), pem: toPem(spki, 'PUBLIC KEY') };
}

/** The registry's key from PKCS#8 PEM or JWK text; null when it is neither. */
export async function parseSigningKey(secret: string): Promise<SigningKey | null> {
  let imported: { algorithm: KeyAlgorithm; key: WebKey } | null = null;
  const trimmed = secret.trim();
  if (trimmed.startsWith('{')) {
    try {
      const jwk = JSON.parse(trimmed) as Jwk;
      const params = jwk.kty === 'OKP' ? ED25519 : ECDSA;
      const key = await crypto.subtle.importKey('jwk', jwk as never, params, true, ['sign']);
      imported = { algorithm: jwk.kty === 'OKP' ? 'ed25519' : 'ecdsa-p256', key };
    } catch {
      return null;
    }
  } else {
    const der = pemBody(trimmed, 'PRIVATE KEY');
    imported = der ? await tryImport('pkcs8', der, 'sign') : null;
  }
  if (!imported) return null;
  const { algorithm, key } = imported;
  // WebCrypto cannot derive a public key from a private one, but the private JWK carries it.
  const { d: _private, key_ops: _ops, ...publicJwk } = (await crypto.subtle.exportKey('jwk', key)) as Jwk;
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    publicJwk as never,
    algorithm === 'ed25519' ? ED25519 : ECDSA,
    true,
    ['verify'],
  );
  const spki = new Uint8Array((await crypto.subtle.exportKey('spki', publicKey)) as ArrayBuffer);
  return {
    keyId: await keyIdOf(spki),
    algorithm,
    publicPem: toPem(spki, 'PUBLIC KEY'),
    async sign(data) {
      if (algorithm === 'ed25519') return new Uint8Array(await crypto.subtle.sign(ED25519, key, data));
      const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, data));
      return rawToDer(raw);
    },
  };
}

export async function verifySignature(
  key: Pick<PublicKeyInfo, 'algorithm' | 'key'>,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (key.algorithm === 'ed25519') {
    return signature.byteLength === 64 && crypto.subtle.verify(ED25519, key.key, signature, data);
  }
  const raw = derToRaw(signature);
  return raw !== null && crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key.key, raw, data);
}

const P256_SIZE = 32;

/** DER INTEGER body → unsigned big-endian, left-padded to 32 bytes; null when it does not fit. */
function unsignedOf(int: Uint8Array): Uint8Array | null {
  let start = 0;
  while (start < int.byteLength - 1 && int[start] === 0) start++;
  const value = int.subarray(start);
  if (value.byteLength > P256_SIZE) return null;
  const out = new Uint8Array(P256_SIZE);
  out.set(value, P256_SIZE - value.byteLength);
  return out;
}

/** ECDSA-Sig-Value DER (SEQUENCE { r INTEGER, s INTEGER }) → raw r||s; null unless exactly that. */
export function derToRaw(der: Uint8Array): Uint8Array | null {
  if (der.byteLength < 8 || der[0] !== 0x30 || der[1] !== der.byteLength - 2) return null;
  const out = new Uint8Array(2 * P256_SIZE);
  let at = 2;
  for (const half of [0, 1]) {
    if (der[at] !== 0x02) return null;
    const len = der[at + 1] ?? 0;
    const int = der.subarray(at + 2, at + 2 + len);
    if (len === 0 || int.byteLength !== len || (int[0] ?? 0) & 0x80) return null;
    const value = unsignedOf(int);
    if (!value) return null;
    out.set(value, half * P256_SIZE);
    at += 2 + len;
  }
  return at === der.byteLength ? out : null;
}

function derInteger(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.byteLength - 1 && value[start] === 0) start++;
  const trimmed = value.subarray(start);
  // A set high bit would read as negative: prefix a zero byte.
  const pad = (trimmed[0] ?? 0) & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + trimmed.byteLength);
  out.set([0x02, pad + trimmed.byteLength]);
  out.set(trimmed, 2 + pad);
  return out;
}

export function rawToDer(raw: Uint8Array): Uint8Array {
  const r = derInteger(raw.subarray(0, raw.byteLength / 2));
  const s = derInteger(raw.subarray(raw.byteLength / 2));
  const out = new Uint8Array(2 + r.byteLength + s.byteLength);
  out.set([0x30, r.byteLength + s.byteLength]);
  out.set(r, 2);
  out.set(s, 2 + r.byteLength);
  return out;
}
