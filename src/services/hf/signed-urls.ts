/**
 * Self-authenticating transfer URLs for the Hub protocol. `@huggingface/hub` sends the bytes of
 * an LFS upload (a `basic` PUT, each `multipart` part, the completion POST) without credentials,
 * as it would to S3, so the URL itself must carry the authority: a grant naming exactly what it
 * allows (one digest and size, or one part of one upload session), who asked (the principal, so
 * namespace visibility and the audit trail stay right), and when it expires, with an HMAC-SHA256
 * over all of it. A grant cannot be stretched to another upload, part or digest, nor used after
 * it expires; a part URL replayed after completion finds its session gone.
 *
 * The key is derived (HKDF-SHA256, its own `info`) from the REGISTRY_SIGNING_KEY secret, so no
 * second secret needs provisioning and the derived key signs nothing but these URLs. A revoked
 * token's URLs keep working until they expire (at most GRANT_TTL_MS), like presigned S3 URLs.
 */
import type { Deps } from '../../deps';
import type { Principal } from '../auth';

/** How long a transfer URL is valid: enough for a large file over a slow link. */
export const GRANT_TTL_MS = 60 * 60_000;

export type Grant =
  | { kind: 'put'; digest: string; size: number }
  | { kind: 'part'; uploadId: string; part: number }
  | { kind: 'complete'; uploadId: string; digest: string };

interface Signed {
  grant: Grant;
  principal: Principal;
  expires: number;
}

export type GrantCheck =
  | { ok: true; grant: Grant; principal: Principal }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' | 'unconfigured' };

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

async function deriveUrlKey(secret: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new Uint8Array(0),
      info: encoder.encode('cairn/hf-transfer-urls/v1'),
    },
    base,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

/** Derived once per secret and isolate: a batch signs one URL per part (up to 10,000). */
const urlKeys = new Map<string, Promise<CryptoKey>>();

function urlKey(secret: string): Promise<CryptoKey> {
  let key = urlKeys.get(secret);
  if (!key) {
    key = deriveUrlKey(secret);
    urlKeys.set(secret, key);
  }
  return key;
}

/** The `t` query value authorizing `grant` for `principal` until now + GRANT_TTL_MS. */
export async function signGrant(deps: Deps, grant: Grant, principal: Principal): Promise<string> {
  if (!deps.registryKey) throw new Error('REGISTRY_SIGNING_KEY is not configured: Hub uploads need it');
  const signed: Signed = { grant, principal, expires: deps.now() + GRANT_TTL_MS };
  const payload = base64url(encoder.encode(JSON.stringify(signed)));
  const mac = await crypto.subtle.sign('HMAC', await urlKey(deps.registryKey), encoder.encode(payload));
  return `${payload}.${base64url(new Uint8Array(mac))}`;
}

/** Checks a `t` value: well-formed, signed by this registry, unexpired (in that order). */
export async function checkGrant(deps: Deps, token: string | undefined): Promise<GrantCheck> {
  if (!deps.registryKey) return { ok: false, reason: 'unconfigured' };
  const [payload, mac, extra] = (token ?? '').split('.');
  const macBytes = fromBase64url(mac ?? '');
  if (!payload || !macBytes || extra !== undefined) return { ok: false, reason: 'malformed' };
  const key = await urlKey(deps.registryKey);
  if (!(await crypto.subtle.verify('HMAC', key, macBytes, encoder.encode(payload)))) {
    return { ok: false, reason: 'forged' };
  }
  const signed = JSON.parse(new TextDecoder().decode(fromBase64url(payload)!)) as Signed;
  if (signed.expires <= deps.now()) return { ok: false, reason: 'expired' };
  return { ok: true, grant: signed.grant, principal: signed.principal };
}
