/**
 * Verified blob storage: bytes go to R2 (checked by R2 against the digest), and only then does a
 * D1 `blobs` row make them visible. Reads consult the row, never R2 alone, so an object that is
 * still being verified (a multipart assembly) or being garbage-collected is never served.
 *
 * Garbage collection (services/gc.ts) is fenced from writers by two rules kept here:
 *  - a write takes a `blob_writes` intent BEFORE its bytes go to R2, in one statement that is
 *    refused while GC has the digest marked `deleting`; GC never marks a digest with an intent.
 *  - only `live` rows count as stored: a `deleting` row is invisible, and a write meeting one
 *    answers "busy, retry" instead of trusting bytes that are about to go.
 *
 * Namespace-limited tokens (SECURITY.md): a blob is visible to such a token only when a version or
 * a Git LFS repository in one of its namespaces references it, or when the token proved it holds
 * the bytes by uploading them (a `blob_grants` row), or an OCI manifest there is or references it, or it is an attestation (a bundle) of a version there. Otherwise it answers exactly like a blob that does not exist, and an
 * upload of it is hashed in full instead of short-cut by deduplication: knowing a digest is not
 * enough to obtain the bytes.
 */

import { eq, sql } from 'drizzle-orm';
import { type Digest, hexOf } from '../contract/grammar';
import { type BatchStatement, chunk, JSON_CHUNK_ITEMS, runBatch } from '../db/client';
import { type BlobRow, blobs } from '../db/schema';
import type { Deps } from '../deps';
import { sha256Hex, sha256OfStream } from '../lib/digest';
import type { Principal } from './auth';
import type { Failure, Result } from './result';

/** The live blob row, if any (a `deleting` row is as good as gone). */
export async function findBlob(deps: Deps, digest: Digest): Promise<BlobRow | undefined> {
  const { db } = deps;
  const row = await db.query.blobs.findFirst({ where: eq(blobs.digest, digest) });
  return row?.state === 'live' ? row : undefined;
}

/** Namespaces a principal is limited to, as one JSON parameter; null when it sees everything. */
export function limitedTo(principal: Principal | null | undefined): string | null {
  return principal?.namespaces ? JSON.stringify(principal.namespaces) : null;
}

/** SQL: the blob `digestColumn` is visible to a token limited to the JSON list `namespaces`. */
export function visibleIn(digestColumn: ReturnType<typeof sql.raw>, namespaces: string) {
  return sql`(
    EXISTS (SELECT 1 FROM blob_grants g
            WHERE g.digest = ${digestColumn} AND g.namespace IN (SELECT value FROM json_each(${namespaces})))
    OR EXISTS (SELECT 1 FROM version_files f JOIN versions v ON v.id = f.version_id
               JOIN artifacts a ON a.id = v.artifact_id
               WHERE f.digest = ${digestColumn} AND a.namespace IN (SELECT value FROM json_each(${namespaces})))
    OR EXISTS (SELECT 1 FROM versions v JOIN artifacts a ON a.id = v.artifact_id
               WHERE v.digest = ${digestColumn} AND a.namespace IN (SELECT value FROM json_each(${namespaces})))
    OR EXISTS (SELECT 1 FROM lfs_objects o
               WHERE o.digest = ${digestColumn}
                 AND substr(o.repo, 1, instr(o.repo, '/') - 1) IN (SELECT value FROM json_each(${namespaces})))
    OR EXISTS (SELECT 1 FROM oci_manifest_refs r
               WHERE r.digest = ${digestColumn}
                 AND substr(r.repo, 1, instr(r.repo, '/') - 1) IN (SELECT value FROM json_each(${namespaces})))
    OR EXISTS (SELECT 1 FROM oci_manifests m
               WHERE m.digest = ${digestColumn}
                 AND substr(m.repo, 1, instr(m.repo, '/') - 1) IN (SELECT value FROM json_each(${namespaces})))
    OR EXISTS (SELECT 1 FROM attestations t JOIN versions v ON v.id = t.version_id
               JOIN artifacts a ON a.id = v.artifact_id
               WHERE t.digest = ${digestColumn} AND a.namespace IN (SELECT value FROM json_each(${namespaces}))))`;
}

/** The live blob row if `principal` may see it (see the header), else undefined. */
export async function findVisibleBlob(
  deps: Deps,
  digest: Digest,
  principal: Principal | null,
): Promise<BlobRow | undefined> {
  const { db } = deps;
  const namespaces = limitedTo(principal);
  if (namespaces === null) return findBlob(deps, digest);
  const [row] = await db.all<{ digest: string; size: number; created_at: number }>(
    sql`SELECT digest, size, created_at FROM blobs b
        WHERE b.digest = ${digest} AND b.state = 'live' AND ${visibleIn(sql.raw('b.digest'), namespaces)}`,
  );
  return row ? { digest: row.digest, size: row.size, createdAt: row.created_at, state: 'live' } : undefined;
}

/**
 * Sizes of the live blobs among `digests` (visible to `principal`, when given). The list travels
 * as one JSON parameter per chunk (`json_each`), so 100,000 digests cost a handful of statements.
 */
export async function storedSizes(
  deps: Deps,
  digests: readonly string[],
  principal?: Principal | null,
): Promise<Map<string, number>> {
  const { db } = deps;
  const found = new Map<string, number>();
  const namespaces = limitedTo(principal);
  const queries = chunk([...new Set(digests)], JSON_CHUNK_ITEMS).map((part) =>
    db.all<{ digest: string; size: number }>(
      sql`SELECT digest, size FROM blobs b
          WHERE b.digest IN (SELECT value FROM json_each(${JSON.stringify(part)})) AND b.state = 'live'
          ${namespaces === null ? sql`` : sql`AND ${visibleIn(sql.raw('b.digest'), namespaces)}`}`,
    ),
  );
  for (const rows of await Promise.all(queries)) for (const r of rows) found.set(r.digest, r.size);
  return found;
}

/** The digests (from `digests`, order kept, duplicates once) that are not stored (for `principal`). */
export async function missingBlobs(
  deps: Deps,
  digests: readonly Digest[],
  principal?: Principal | null,
): Promise<Digest[]> {
  const found = await storedSizes(deps, digests, principal);
  return [...new Set(digests)].filter((d) => !found.has(d));
}

/** Statements that let a namespace-limited principal see `digest` from now on (none otherwise). */
export function grantStatements(principal: Principal | null, digest: Digest, now: number): BatchStatement[] {
  const namespaces = limitedTo(principal);
  if (namespaces === null) return [];
  return [
    sql`INSERT INTO blob_grants (namespace, digest, created_at)
        SELECT value, ${digest}, ${now} FROM json_each(${namespaces}) WHERE true
        ON CONFLICT (namespace, digest) DO NOTHING`,
  ];
}

export type RegisterResult = 'created' | 'existed' | 'assembly-in-progress';

/**
 * Inserts the row that makes a verified blob visible, unless a multipart assembly of the same
 * digest holds its completion lease: that assembly writes the same R2 key and may still turn
 * out wrong and be deleted, so nothing may become visible under it meanwhile. One statement
 * decides, so D1 orders it strictly before or after the lease (see services/uploads.ts). The
 * same batch drops the write intent and records the principal's grant.
 */
export async function registerBlob(
  deps: Deps,
  digest: Digest,
  size: number,
  options: { intentId?: string; principal?: Principal | null; keepIntentUnlessStored?: boolean } = {},
): Promise<RegisterResult> {
  const { db } = deps;
  const now = deps.now();
  // An intent that names staged chunks (takeIntent's `staged`) stays while no row exists: the
  // assembly that holds the lease may overwrite the blob's key, and then GC must free them.
  const stored = options.keepIntentUnlessStored
    ? sql` AND EXISTS (SELECT 1 FROM blobs WHERE digest = ${digest})`
    : sql``;
  const [inserted] = await runBatch(db, [
    sql`INSERT INTO blobs (digest, size, created_at)
        SELECT ${digest}, ${size}, ${now}
        WHERE NOT EXISTS (SELECT 1 FROM uploads
                          WHERE digest = ${digest} AND state = 'completing' AND lease_until > ${now})
        ON CONFLICT (digest) DO NOTHING
        RETURNING digest`,
    ...(options.intentId ? [sql`DELETE FROM blob_writes WHERE id = ${options.intentId}${stored}`] : []),
    ...grantStatements(options.principal ?? null, digest, now),
  ]);
  if (inserted && inserted.length > 0) return 'created';
  return (await findBlob(deps, digest)) ? 'existed' : 'assembly-in-progress';
}

/**
 * Takes a write intent for `digest` (see the header), or returns null while garbage collection is
 * deleting it (or, `unless-stored`, while any row exists). Release it with
 * `registerBlob({ intentId })` or `releaseIntent`. `staged`: the write makes these staged chunks
 * the blob's (OCI, services/oci/staged.ts); an intent its writer never released tells GC to
 * check, a day later, whether they became the blob or are garbage (gc.ts).
 */
export async function takeIntent(
  deps: Deps,
  digest: Digest,
  when: 'unless-deleting' | 'unless-stored' = 'unless-deleting',
  staged: { id: string; chunks: number } | null = null,
): Promise<string | null> {
  const now = deps.now();
  const { db } = deps;
  const id = `bw_${crypto.randomUUID()}`;
  const blocking = when === 'unless-stored' ? sql`` : sql`AND state = 'deleting'`;
  const [rows] = await runBatch(db, [
    sql`INSERT INTO blob_writes (id, digest, started_at, staged_id, staged_chunks)
        SELECT ${id}, ${digest}, ${now}, ${staged?.id ?? null}, ${staged?.chunks ?? null}
        WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE digest = ${digest} ${blocking})
        RETURNING id`,
  ]);
  return rows && rows.length > 0 ? id : null;
}

export async function releaseIntent(deps: Deps, intentId: string): Promise<void> {
  const { db } = deps;
  await runBatch(db, [sql`DELETE FROM blob_writes WHERE id = ${intentId}`]);
}

export type StoreFailure =
  /** The bytes do not hash to the digest: nothing was kept. */
  | Failure<'digest-mismatch'>
  /** The digest is stored with another size: these cannot be its bytes. */
  | Failure<'size-mismatch', { storedSize: number }>
  /** A multipart upload of the digest is being completed: retry shortly. */
  | Failure<'assembly-in-progress'>
  /** Garbage collection is deleting the digest: retry in a few seconds. */
  | Failure<'being-deleted'>;

export type StoreResult = Result<{ created: boolean; size: number }, StoreFailure>;

/**
 * Stores one blob from a request body of known length (or bytes in memory, e.g. an OCI manifest). Already stored → nothing is rewritten
 * (a length that disagrees with the stored size cannot be the same bytes), unless a
 * namespace-limited principal cannot see it yet: then the body is hashed to prove possession.
 */
export async function storeBlob(
  deps: Deps,
  digest: Digest,
  body: ReadableStream | Uint8Array | null,
  length: number,
  principal: Principal | null = null,
): Promise<StoreResult> {
  const { db } = deps;
  const now = deps.now();
  // The usual case, a blob not stored yet, costs one statement: the intent, taken only if no row exists.
  const intentId = await takeIntent(deps, digest, 'unless-stored');
  if (!intentId) {
    const row = await db.query.blobs.findFirst({ where: eq(blobs.digest, digest) });
    if (!row || row.state === 'deleting') return { ok: false, reason: 'being-deleted' };
    if (row.size !== length) return { ok: false, reason: 'size-mismatch', storedSize: row.size };
    if (limitedTo(principal) !== null && !(await findVisibleBlob(deps, digest, principal))) {
      const hex =
        body instanceof Uint8Array
          ? await sha256Hex(body)
          : await sha256OfStream(body ?? new Blob([]).stream());
      if (hex !== hexOf(digest)) return { ok: false, reason: 'digest-mismatch' };
      await runBatch(db, grantStatements(principal, digest, now));
    }
    return { ok: true, created: false, size: row.size };
  }
  try {
    const put = await deps.blobs.put(digest, body ?? '');
    if (!put.ok) {
      await releaseIntent(deps, intentId);
      return put;
    }
    const registered = await registerBlob(deps, digest, put.size, { intentId, principal });
    if (registered === 'assembly-in-progress') return { ok: false, reason: registered };
    return { ok: true, created: registered === 'created', size: put.size };
  } catch (err) {
    // The intent only keeps GC away from these bytes; a stale one is swept by GC after a day.
    await releaseIntent(deps, intentId).catch(() => undefined);
    throw err;
  }
}
