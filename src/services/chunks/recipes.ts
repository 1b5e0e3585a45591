/**
 * Committing a blob as a recipe (`PUT /v1/blobs/{digest}/recipe`): the file's chunks in order.
 * The server trusts nothing in a recipe:
 *  1. every chunk must be stored, live and visible to the principal (services/chunks/lookup.ts),
 *     with the length the recipe gives it;
 *  2. the chunks' bytes, read back from their packs in order, must hash to the digest. Hashing
 *     resumes from the furthest saved checkpoint of the same chunk-list prefix (the append case
 *     costs only the new bytes) and stops at the request's budget with a 202, its progress saved
 *     as checkpoints, so the client repeats the request (services/chunks/checkpoints.ts);
 *  3. one D1 batch inserts the recipe, the `blobs` row that makes it visible (refused while a
 *     multipart assembly of the digest holds its lease, as for every blob) and the principal's
 *     grant. A trigger (migrations/0010) aborts the batch when any chunk's pack stopped being
 *     live meanwhile (GC or compaction won the race): the client uploads it again.
 * Nothing is written before step 3 but checkpoints, which are facts about chunk bytes, never
 * about the digest; a recipe whose bytes hash to something else drops the ones it wrote.
 */
import { sql } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import { hexOf } from '../../contract/grammar';
import { type BatchStatement, chunkJson, runBatch } from '../../db/client';
import type { Deps } from '../../deps';
import { ResumableSha256 } from '../../lib/resumable-sha256';
import type { Principal } from '../auth';
import { findVisibleBlob, grantStatements } from '../blobs';
import type { Failure, Result } from '../result';
import {
  checkpointPlan,
  dropCheckpoints,
  furthestCheckpoint,
  prefixIndex,
  type RecipeChunk,
  saveCheckpoints,
} from './checkpoints';
import { storedChunks } from './lookup';
import { hashChunks, type LocatedChunk } from './verify';

export interface Recipe {
  size: number;
  chunks: RecipeChunk[];
}

/** Commits tried when GC keeps marking a chunk's pack between the check and the commit. */
export const COMMIT_ATTEMPTS = 3;

export type RecipeFailure =
  /** Chunk `index` is stored with another length than the recipe says. */
  | Failure<'length-mismatch', { index: number; chunk: string; storedLength: number }>
  /** These chunks are not stored, live and visible: upload them in packs, then retry. */
  | Failure<'chunk-unknown', { missing: string[] }>
  /** The chunks' bytes in order hash to something else: nothing was kept. */
  | Failure<'digest-mismatch', { actual: string }>
  /** The digest is stored with another size. */
  | Failure<'size-mismatch', { storedSize: number }>
  | Failure<'being-deleted'>
  /** Garbage collection took a chunk's pack at every commit attempt: retry a little later. */
  | Failure<'packs-contended'>
  | Failure<'assembly-in-progress'>;

export type RecipeResult = Result<
  | { status: 'created'; newBytes: number; reusedBytes: number; verifiedBytes: number }
  | { status: 'existed' }
  /** The budget ran out: progress saved through byte `verifiedThrough`; repeat the request. */
  | { status: 'partial'; verifiedBytes: number; verifiedThrough: number },
  RecipeFailure
>;

/** What the recipe's chunks are, where they lie, and the bytes no live recipe used before. */
async function locate(
  deps: Deps,
  recipe: Recipe,
  principal: Principal | null,
): Promise<{ ok: true; located: LocatedChunk[]; newBytes: number } | RecipeFailure> {
  const stored = await storedChunks(
    deps,
    recipe.chunks.map((c) => c.hash),
    principal,
  );
  const missing = [...new Set(recipe.chunks.map((c) => c.hash))].filter((h) => !stored.has(h));
  if (missing.length > 0) return { ok: false, reason: 'chunk-unknown', missing };
  const located: LocatedChunk[] = [];
  const counted = new Set<string>();
  let newBytes = 0;
  for (const [index, c] of recipe.chunks.entries()) {
    const s = stored.get(c.hash)!;
    if (s.length !== c.length) {
      return { ok: false, reason: 'length-mismatch', index, chunk: c.hash, storedLength: s.length };
    }
    located.push(s);
    if (!s.used && !counted.has(c.hash)) newBytes += c.length;
    counted.add(c.hash);
  }
  return { ok: true, located, newBytes };
}

/** Verifies and commits `recipe` as the bytes of `digest` (see the header). */
export async function commitRecipe(
  deps: Deps,
  digest: Digest,
  recipe: Recipe,
  principal: Principal | null,
): Promise<RecipeResult> {
  const existing = await deps.db.query.blobs.findFirst({
    where: (b, { eq }) => eq(b.digest, digest),
    columns: { size: true, state: true },
  });
  if (existing?.state === 'deleting') return { ok: false, reason: 'being-deleted' };
  if (existing && existing.size !== recipe.size) {
    return { ok: false, reason: 'size-mismatch', storedSize: existing.size };
  }
  // Stored and visible: nothing to prove. Stored but hidden from this token: it proves
  // possession by a recipe of chunks it may see that hashes right, and gets a grant.
  if (existing && (await findVisibleBlob(deps, digest, principal))) return { ok: true, status: 'existed' };

  const where = await locate(deps, recipe, principal);
  if (!where.ok) return where;

  const prefix = prefixIndex(recipe.chunks);
  const plan = checkpointPlan(prefix, deps.config.chunkCheckpointBytes);
  const resumed = await furthestCheckpoint(deps, prefix, plan);
  const from = resumed
    ? { index: resumed.point.index + 1, offset: resumed.point.end }
    : { index: 0, offset: 0 };
  const hasher = resumed?.hasher ?? ResumableSha256.create();
  const ahead = plan.filter((p) => p.index >= from.index);
  const progress = await hashChunks(
    deps,
    where.located,
    from,
    hasher,
    ahead,
    deps.config.recipeHashBudgetBytes,
  );
  if (!progress.complete) {
    await runBatch(deps.db, [saveCheckpoints(deps, digest, progress.saved)]);
    return {
      ok: true,
      status: 'partial',
      verifiedBytes: progress.hashedBytes,
      verifiedThrough: progress.through,
    };
  }
  const actual = hasher.digestHex();
  if (actual !== hexOf(digest)) {
    await dropCheckpoints(deps, digest);
    return { ok: false, reason: 'digest-mismatch', actual: `sha256:${actual}` };
  }

  let { newBytes } = where;
  let committed = await insertRecipe(deps, digest, recipe, newBytes, progress.saved, principal);
  // GC or compaction took a pack between the check and the commit. The bytes verified above are
  // the chunks' (named by their hashes), wherever they lie: if all are live again (another push
  // stored them anew), commit again; if not, say which to re-send; if GC keeps winning, 409.
  for (let attempt = 1; committed === 'chunk-gone'; attempt++) {
    const again = await locate(deps, recipe, principal);
    if (!again.ok) return again;
    if (attempt === COMMIT_ATTEMPTS) return { ok: false, reason: 'packs-contended' };
    newBytes = again.newBytes;
    committed = await insertRecipe(deps, digest, recipe, newBytes, progress.saved, principal);
  }
  if (committed === 'created') {
    return {
      ok: true,
      status: 'created',
      newBytes,
      reusedBytes: recipe.size - newBytes,
      verifiedBytes: progress.hashedBytes,
    };
  }
  const now = await deps.db.query.blobs.findFirst({ where: (b, { eq }) => eq(b.digest, digest) });
  if (!now) return { ok: false, reason: 'assembly-in-progress' };
  if (now.state === 'deleting') return { ok: false, reason: 'being-deleted' };
  return { ok: true, status: 'existed' };
}

/** Step 3 of the header; 'existed' when another writer made the digest a blob first. */
async function insertRecipe(
  deps: Deps,
  digest: Digest,
  recipe: Recipe,
  newBytes: number,
  saved: Parameters<typeof saveCheckpoints>[2],
  principal: Principal | null,
): Promise<'created' | 'existed' | 'chunk-gone'> {
  const now = deps.now();
  const commitId = crypto.randomUUID();
  const ours = sql`EXISTS (SELECT 1 FROM recipes WHERE digest = ${digest} AND commit_id = ${commitId})`;
  let offset = 0;
  const rows = recipe.chunks.map((c) => {
    const row = [offset, c.hash, c.length];
    offset += c.length;
    return row;
  });
  const statements: BatchStatement[] = [
    sql`INSERT INTO recipes (digest, commit_id, size, chunk_count, new_bytes, created_at)
        SELECT ${digest}, ${commitId}, ${recipe.size}, ${recipe.chunks.length}, ${newBytes}, ${now}
        WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE digest = ${digest})
          AND NOT EXISTS (SELECT 1 FROM uploads
                          WHERE digest = ${digest} AND state = 'completing' AND lease_until > ${now})
        ON CONFLICT (digest) DO NOTHING`,
    sql`INSERT INTO blobs (digest, size, created_at) SELECT ${digest}, ${recipe.size}, ${now} WHERE ${ours}`,
    ...chunkJson(rows).map(
      (json) =>
        sql`INSERT INTO recipe_chunks (digest, blob_offset, chunk, length)
            SELECT ${digest}, j.value ->> 0, j.value ->> 1, j.value ->> 2 FROM json_each(${json}) j
            WHERE ${ours}`,
    ),
    ...(saved.length > 0 ? [saveCheckpoints(deps, digest, saved)] : []),
    ...grantStatements(principal, digest, now),
    sql`SELECT 1 AS created WHERE ${ours}`,
  ];
  try {
    const results = await runBatch(deps.db, statements);
    return (results.at(-1)?.length ?? 0) > 0 ? 'created' : 'existed';
  } catch (err) {
    if (/CAIRN_CHUNK_NOT_LIVE/.test(String(err))) return 'chunk-gone';
    throw err;
  }
}
