/**
 * Test helpers: drive the real Worker (SELF → createApp) with the real local D1 and R2.
 * Content-addressed storage makes tests independent: each test uses random bytes.
 */

import { SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createDeps, type Deps } from '../../src/deps';
import type { Bindings } from '../../src/env';

export const ADMIN = 'test-admin-token';
export const BASE = 'http://cairn.test';
export const testEnv = env as unknown as Bindings;

/** The services' dependencies over the test's real D1 and R2 (override e.g. the clock). */
export function testDeps(overrides: Partial<Deps> = {}): Deps {
  return createDeps(testEnv, overrides);
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

export async function digestOf(bytes: Uint8Array | string): Promise<`sha256:${string}`> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return `sha256:${[...hash].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export interface CallOptions {
  method?: string;
  token?: string | null;
  body?: BodyInit | null;
  json?: unknown;
  headers?: Record<string, string>;
}

export function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? ADMIN : options.token;
  if (token) headers.set('Authorization', `Bearer ${token}`);
  let body = options.body ?? null;
  if (options.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(options.json);
  }
  // Redirects are the API's answers (resolve → 302), never followed silently.
  return SELF.fetch(`${BASE}${path}`, { method: options.method ?? 'GET', headers, body, redirect: 'manual' });
}

export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string } };
  return body.error?.code ?? `<no error code: ${JSON.stringify(body)}>`;
}

export async function putBlob(bytes: Uint8Array | string, token?: string | null) {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const digest = await digestOf(data);
  const res = await call(`/v1/blobs/${digest}`, { method: 'PUT', body: data, token });
  return { digest, res };
}

export async function createToken(
  scopes: string[],
  extra: { namespaces?: string[]; expiresAt?: string } = {},
): Promise<{ id: string; token: string }> {
  const res = await call('/v1/tokens', {
    method: 'POST',
    json: { name: `t-${scopes.join('-')}`, scopes, ...extra },
  });
  if (res.status !== 201) throw new Error(`token create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; token: string };
}
