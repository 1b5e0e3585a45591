/** Test helpers for the Git LFS API: requests shaped the way `git lfs` sends them. */
import { SELF } from 'cloudflare:test';
import { ADMIN, BASE } from './http';

export const LFS_TYPE = 'application/vnd.git-lfs+json';

/** HTTP Basic with the token as password, as git's credential helpers send it. */
export function basic(token: string, user = 'git'): string {
  return `Basic ${btoa(`${user}:${token}`)}`;
}

export interface LfsCallOptions {
  method?: string;
  json?: unknown;
  /** A raw body (sent as is, with the Content-Type of `headers`). */
  body?: string;
  /** A full Authorization header; default Basic with the admin token; null sends none. */
  authorization?: string | null;
  headers?: Record<string, string>;
}

export function lfsCall(path: string, options: LfsCallOptions = {}): Promise<Response> {
  const headers = new Headers({ Accept: LFS_TYPE, ...options.headers });
  const authorization = options.authorization === undefined ? basic(ADMIN) : options.authorization;
  if (authorization) headers.set('Authorization', authorization);
  let body: string | null = options.body ?? null;
  if (options.json !== undefined) {
    if (!headers.has('Content-Type')) headers.set('Content-Type', `${LFS_TYPE}; charset=utf-8`);
    body = JSON.stringify(options.json);
  }
  return SELF.fetch(`${BASE}/lfs/${path}`, { method: options.method ?? 'POST', headers, body });
}

export interface BatchObject {
  oid: string;
  size: number;
  authenticated?: boolean;
  actions?: Record<string, { href: string; header?: Record<string, string>; expires_in: number }>;
  error?: { code: number; message: string };
}

export function batch(
  repo: string,
  operation: string,
  objects: { oid: string; size: number }[],
  authorization?: string | null,
): Promise<Response> {
  return lfsCall(`${repo}/objects/batch`, {
    json: { operation, transfers: ['basic'], objects, hash_algo: 'sha256' },
    authorization,
  });
}

export async function batchObjects(
  repo: string,
  operation: string,
  objects: { oid: string; size: number }[],
  authorization?: string | null,
): Promise<BatchObject[]> {
  const res = await batch(repo, operation, objects, authorization);
  if (res.status !== 200) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { objects: BatchObject[] }).objects;
}

/** Follows an action the way the basic transfer adapter does. */
export function followAction(
  action: { href: string; header?: Record<string, string> },
  method: string,
  body?: Uint8Array | string,
): Promise<Response> {
  const headers = new Headers(action.header);
  if (body !== undefined && typeof body !== 'string') headers.set('Content-Type', 'application/octet-stream');
  if (typeof body === 'string') headers.set('Content-Type', LFS_TYPE);
  return SELF.fetch(action.href, { method, headers, body: body ?? null });
}

export const hexOf = (digest: string) => digest.slice('sha256:'.length);
