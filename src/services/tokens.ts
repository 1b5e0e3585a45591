/**
 * Issuing and revoking API tokens. The secret is shown once at creation; only its SHA-256 is kept.
 */

import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { CreatedToken, TokenInfo } from '../contract/tokens';
import { type Scope, type TokenRow, tokens } from '../db/schema';
import type { Deps } from '../deps';
import { base64url, decodeCursor, encodeCursor } from '../lib/cursor';
import { sha256Hex } from '../lib/digest';
import { pageOf } from '../lib/paging';

export interface NewToken {
  name: string;
  scopes: Scope[];
  namespaces?: string[] | undefined;
  expiresAt?: number | undefined;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A token as the API shows it (never its secret or hash). */
export function tokenView(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    namespaces: row.namespaces ?? null,
    createdAt: iso(row.createdAt)!,
    createdBy: row.createdBy,
    expiresAt: iso(row.expiresAt),
  };
}

function randomSecret(): string {
  return `cairn_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

export async function createToken(deps: Deps, input: NewToken, createdBy: string): Promise<CreatedToken> {
  const now = deps.now();
  const { db } = deps;
  const id = `tok_${base64url(crypto.getRandomValues(new Uint8Array(12)))}`;
  const secret = randomSecret();
  const row = {
    id,
    name: input.name,
    tokenHash: await sha256Hex(secret),
    scopes: [...new Set(input.scopes)],
    namespaces: input.namespaces ? [...new Set(input.namespaces)] : null,
    createdBy,
    createdAt: now,
    expiresAt: input.expiresAt ?? null,
    lastUsedAt: null,
  };
  await db.insert(tokens).values(row);
  return { ...tokenView(row), token: secret };
}

/** Newest first; the cursor is the (createdAt, id) of the last row seen. */
export async function listTokens(deps: Deps, limit: number, cursor?: string) {
  const { db } = deps;
  const after = cursor ? decodeCursor(cursor) : null;
  const rows = await db
    .select()
    .from(tokens)
    .where(
      after
        ? or(lt(tokens.createdAt, after.t), and(eq(tokens.createdAt, after.t), lt(tokens.id, after.k)))
        : undefined,
    )
    .orderBy(desc(tokens.createdAt), desc(tokens.id))
    .limit(limit + 1);
  return pageOf(rows, limit, (last) => encodeCursor({ t: last.createdAt, k: last.id }), tokenView);
}

export async function deleteToken(deps: Deps, id: string): Promise<boolean> {
  const { db } = deps;
  const deleted = await db.delete(tokens).where(eq(tokens.id, id)).returning({ id: tokens.id });
  return deleted.length > 0;
}
