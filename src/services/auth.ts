/**
 * Who is calling, and what they may do. A bearer token is either the ADMIN_TOKEN secret or an
 * issued token, looked up by the SHA-256 of the secret (so the database never holds a usable
 * token) and compared in constant time. `write` and `promote` imply `read`; `admin` implies all.
 */
import { sql } from 'drizzle-orm';
import type { BatchStatement } from '../db/client';
import type { Scope } from '../db/schema';

export interface Principal {
  /** Token id, or `admin` for the ADMIN_TOKEN secret. Safe to log and store (never the secret). */
  id: string;
  name: string;
  scopes: readonly Scope[];
  /** null: every namespace. */
  namespaces: readonly string[] | null;
}

export type AuthResult =
  | { ok: true; principal: Principal | null }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' };

const encoder = new TextEncoder();

async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  // Hash first so both sides have equal length and timing reveals nothing about either.
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}

/**
 * The token an Authorization header carries: `Bearer <token>`, or HTTP Basic with any user name
 * and the token as password (what `git credential` and `curl -u` send). undefined: no header;
 * null: a header we cannot read.
 */
export function credentialFrom(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!basic) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(atob(basic[1]!), (ch) => ch.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const colon = decoded.indexOf(':');
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  return password.length > 0 ? password : null;
}

/** The statement that finds an issued token by the SHA-256 of its secret (for `runBatch`). */
export function tokenLookup(hash: string): BatchStatement {
  return sql`SELECT id, name, token_hash, scopes, namespaces, expires_at FROM tokens WHERE token_hash = ${hash}`;
}

/** The admin principal when `credential` is the ADMIN_TOKEN secret (constant time, no lookup). */
export async function adminPrincipal(
  adminToken: string | undefined,
  credential: string,
): Promise<Principal | null> {
  if (!adminToken || !(await constantTimeEqual(credential, adminToken))) return null;
  return { id: 'admin', name: 'admin', scopes: ['admin'], namespaces: null };
}

/**
 * The issued token in `row` (the result of `tokenLookup(hash)`), if it matches and is still valid.
 */
export async function tokenPrincipal(
  hash: string,
  row: Record<string, unknown> | undefined,
  now = Date.now(),
): Promise<AuthResult> {
  if (!row || !(await constantTimeEqual(String(row.token_hash), hash)))
    return { ok: false, reason: 'unknown' };
  const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
  if (expiresAt !== null && expiresAt <= now) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    principal: {
      id: String(row.id),
      name: String(row.name),
      scopes: JSON.parse(String(row.scopes)) as Scope[],
      namespaces: row.namespaces === null ? null : (JSON.parse(String(row.namespaces)) as string[] | null),
    },
  };
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  const held = principal.scopes;
  if (held.includes('admin') || held.includes(scope)) return true;
  return scope === 'read' && (held.includes('write') || held.includes('promote'));
}

/** Whether the principal may touch artifacts in `namespace` at all. */
export function canAccessNamespace(principal: Principal | null, namespace: string): boolean {
  return !principal?.namespaces || principal.namespaces.includes(namespace);
}

/** How a principal appears in history and `createdBy` fields: readable and unique, never a secret. */
export function actorOf(principal: Principal | null): string {
  if (!principal) return 'anonymous';
  return principal.id === 'admin' ? 'admin' : `${principal.name} (${principal.id})`;
}
