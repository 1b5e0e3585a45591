/**
 * Registered signing keys (D1 `signing_keys`): client keys an admin adds and revokes, and the
 * registry's own keys. The registry's current key comes from the REGISTRY_SIGNING_KEY secret; it
 * is recorded here the first time it is used, so a rotated-out key stays listed (and old
 * registry-signed bundles stay checkable) after the secret changes. Revocation is a mark, never a
 * delete: attestations keep naming their key, and verification then says "revoked".
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { KeyInfo } from '../../contract/provenance';
import { runBatch } from '../../db/client';
import { type SigningKeyRow, signingKeys } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Failure, Result } from '../result';
import { parsePublicKey, parseSigningKey, type SigningKey } from './keys';

/** A key as the API shows it (contract/provenance.ts). */
export type KeyView = KeyInfo;

const iso = (ms: number) => new Date(ms).toISOString();

let cached: { secret: string; key: Promise<SigningKey | null> } | undefined;

/** The registry's signing key, parsed once per isolate; null when the secret is absent or invalid. */
export async function registrySigningKey(deps: Deps): Promise<SigningKey | null> {
  const secret = deps.registryKey;
  if (!secret) return null;
  if (cached?.secret !== secret) cached = { secret, key: parseSigningKey(secret) };
  const key = await cached.key;
  if (key) {
    await deps.db
      .insert(signingKeys)
      .values({
        keyId: key.keyId,
        name: 'cairn registry',
        algorithm: key.algorithm,
        publicKey: key.publicPem,
        namespaces: null,
        registry: true,
        createdAt: deps.now(),
        createdBy: 'registry',
      })
      .onConflictDoNothing();
  }
  return key;
}

export function keyView(row: SigningKeyRow, currentId: string | undefined): KeyView {
  return {
    keyId: row.keyId,
    name: row.name,
    algorithm: row.algorithm,
    publicKey: row.publicKey,
    namespaces: row.namespaces ?? null,
    registry: row.registry,
    current: row.keyId === currentId,
    createdAt: iso(row.createdAt),
    createdBy: row.createdBy,
    revokedAt: row.revokedAt === null ? null : iso(row.revokedAt),
  };
}

export type AddKeyFailure = Failure<'key-invalid'> | Failure<'key-exists', { keyId: string }>;

export async function addKey(
  deps: Deps,
  input: { name: string; publicKey: string; namespaces?: string[] | undefined },
  by: string,
): Promise<Result<{ key: KeyView }, AddKeyFailure>> {
  const parsed = await parsePublicKey(input.publicKey);
  if (!parsed) return { ok: false, reason: 'key-invalid' };
  const row: SigningKeyRow = {
    keyId: parsed.keyId,
    name: input.name,
    algorithm: parsed.algorithm,
    publicKey: parsed.pem,
    namespaces: input.namespaces ? [...new Set(input.namespaces)] : null,
    registry: false,
    createdAt: deps.now(),
    createdBy: by,
    revokedAt: null,
    revokedBy: null,
  };
  const inserted = await deps.db.insert(signingKeys).values(row).onConflictDoNothing().returning();
  if (inserted.length === 0) return { ok: false, reason: 'key-exists', keyId: parsed.keyId };
  return { ok: true, key: keyView(row, undefined) };
}

export async function listKeys(deps: Deps): Promise<KeyView[]> {
  const current = (await registrySigningKey(deps))?.keyId;
  const rows = await deps.db
    .select()
    .from(signingKeys)
    .orderBy(asc(signingKeys.createdAt), asc(signingKeys.keyId));
  return rows.map((r) => keyView(r, current));
}

export async function findKey(deps: Deps, keyId: string): Promise<SigningKeyRow | undefined> {
  return deps.db.query.signingKeys.findFirst({ where: eq(signingKeys.keyId, keyId) });
}

export type RevokeFailure =
  | Failure<'key-unknown', { keyId: string }>
  | Failure<'registry-key', { keyId: string }>;

/** Revoking twice is a no-op that keeps the first revocation's time. */
export async function revokeKey(
  deps: Deps,
  keyId: string,
  by: string,
): Promise<Result<object, RevokeFailure>> {
  const row = await findKey(deps, keyId);
  if (!row) return { ok: false, reason: 'key-unknown', keyId };
  // The registry's keys rotate by changing the secret, not through the API.
  if (row.registry) return { ok: false, reason: 'registry-key', keyId };
  await runBatch(deps.db, [
    sql`UPDATE signing_keys SET revoked_at = ${deps.now()}, revoked_by = ${by}
        WHERE key_id = ${keyId} AND revoked_at IS NULL`,
  ]);
  return { ok: true };
}
