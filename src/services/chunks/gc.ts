/**
 * Garbage collection of chunk packs (run by services/gc.ts after the blob pass, which deletes the
 * recipes of collected blobs). A chunk is *live* while some recipe uses it; a pack is kept while
 * it holds a live chunk. Everything here is older than the grace period (the D1 Time Travel
 * window, as for blobs): a push in progress has packs no recipe uses yet.
 *
 *  - Dead packs (no live chunk: every file that used them is gone, or an interrupted push whose
 *    recipe never came) are MARKED `deleting` in one statement that checks, at that instant, that
 *    no recipe uses any of their chunks, then SWEPT: R2 object first, then the rows. The fence is
 *    the trigger of migrations/0010: a recipe batch inserts its chunks only while their pack is
 *    live, and D1 runs statements one at a time, so a recipe racing the mark either commits first
 *    (the mark then skips the pack) or is refused with CHUNK_UNKNOWN (the client uploads the
 *    chunks again; a pack upload re-points a chunk whose pack is no longer live).
 *  - Mostly-dead packs (live bytes < half the pack's data) are COMPACTED: the live chunks are
 *    copied (and re-verified) into a new pack, then one batch retires the old pack, makes the new
 *    one live and re-points the chunks, but only if no recipe started using one of the old pack's
 *    other chunks meanwhile (else nothing changes and the copy is dropped). The retired pack stays
 *    readable for reads already under way and is deleted after the grace period.
 *  - Interrupted uploads (an `uploading` row older than a day: its request died) and checkpoints
 *    of recipes that never committed (older than a day) are dropped too.
 */
import { sql } from 'drizzle-orm';
import { encodePackHeader, type PackEntry, packHeaderBytes } from '../../contract/chunks';
import { runBatch } from '../../db/client';
import type { Deps } from '../../deps';
import { toHex } from '../../lib/digest';
import { coalesce } from '../../storage/chunked-blob-store';

const DAY_MS = 86_400_000;
/** A pack is compacted when less than this share of its data is live. */
export const COMPACT_BELOW = 0.5;
const MARK_BATCH = 200;

export interface PackGcOptions {
  dryRun: boolean;
  /** Packs created (or retired) before this are old enough to collect. */
  cutoff: number;
  /** Packs examined for compaction in one run (a random sample of the old ones). */
  compactSample?: number;
}

export interface PackGcReport {
  /** Packs deleted (or, in a dry run, that would be): dead, interrupted or retired. */
  deleted: { count: number; bytes: number };
  /** Packs compacted: their live chunks moved to new packs, `bytes` of dead space reclaimed. */
  compacted: { count: number; bytes: number; chunksMoved: number };
  checkpointsDropped: number;
}

const dead = (cutoff: number) => sql`
  p.state = 'live' AND p.created_at < ${cutoff}
  AND NOT EXISTS (SELECT 1 FROM chunks c JOIN recipe_chunks r ON r.chunk = c.hash WHERE c.pack_id = p.id)`;

export async function collectPacks(deps: Deps, options: PackGcOptions): Promise<PackGcReport> {
  const report: PackGcReport = {
    deleted: { count: 0, bytes: 0 },
    compacted: { count: 0, bytes: 0, chunksMoved: 0 },
    checkpointsDropped: 0,
  };
  const { db } = deps;
  const now = deps.now();
  if (options.dryRun) {
    const [rows] = await runBatch(db, [
      sql`SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM packs p
          WHERE ${dead(options.cutoff)}
             OR (p.state = 'uploading' AND p.created_at < ${now - DAY_MS})
             OR (p.state = 'retired' AND p.retired_at < ${options.cutoff})`,
    ]);
    report.deleted = { count: Number(rows?.[0]?.n ?? 0), bytes: Number(rows?.[0]?.bytes ?? 0) };
    return report;
  }

  await sweepPacks(deps, report); // marks an interrupted earlier run left
  await runBatch(db, [
    sql`UPDATE packs SET state = 'deleting'
        WHERE (state = 'uploading' AND created_at < ${now - DAY_MS})
           OR (state = 'retired' AND retired_at < ${options.cutoff})`,
  ]);
  await sweepPacks(deps, report);
  for (;;) {
    const [marked] = await runBatch(db, [
      sql`UPDATE packs SET state = 'deleting'
          WHERE id IN (SELECT p.id FROM packs p WHERE ${dead(options.cutoff)} LIMIT ${MARK_BATCH})
          RETURNING id`,
    ]);
    if (!marked || marked.length === 0) break;
    await sweepPacks(deps, report);
  }
  await compactPacks(deps, options, report);
  const [dropped] = await runBatch(db, [
    sql`DELETE FROM chunk_checkpoints
        WHERE created_at < ${now - DAY_MS}
          AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = chunk_checkpoints.digest)
        RETURNING prefix`,
  ]);
  report.checkpointsDropped = dropped?.length ?? 0;
  return report;
}

/** Deletes every `deleting` pack: bytes first, then its chunk rows (and their grants) and row. */
async function sweepPacks(deps: Deps, report: PackGcReport): Promise<void> {
  for (;;) {
    const [rows] = await runBatch(deps.db, [
      sql`SELECT id, size FROM packs WHERE state = 'deleting' ORDER BY id LIMIT 500`,
    ]);
    if (!rows || rows.length === 0) return;
    const ids = rows.map((r) => String(r.id));
    await deps.blobs.packs.delete(ids);
    const json = JSON.stringify(ids);
    const inPacks = sql`pack_id IN (SELECT value FROM json_each(${json}))`;
    await runBatch(deps.db, [
      sql`DELETE FROM chunk_grants WHERE hash IN (SELECT hash FROM chunks WHERE ${inPacks})`,
      sql`DELETE FROM chunks WHERE ${inPacks}`,
      sql`DELETE FROM packs WHERE state = 'deleting' AND id IN (SELECT value FROM json_each(${json}))`,
    ]);
    report.deleted.count += rows.length;
    for (const r of rows) report.deleted.bytes += Number(r.size);
  }
}

interface LiveChunk {
  hash: string;
  pack_offset: number;
  length: number;
}

/** Compacts the mostly-dead packs among a random sample of old live ones (see the header). */
async function compactPacks(deps: Deps, options: PackGcOptions, report: PackGcReport): Promise<void> {
  const candidates = await deps.db.all<{ id: string; size: number; chunk_count: number; live: number }>(
    sql`SELECT p.id, p.size, p.chunk_count,
               (SELECT coalesce(sum(c.length), 0) FROM chunks c
                WHERE c.pack_id = p.id AND EXISTS (SELECT 1 FROM recipe_chunks r WHERE r.chunk = c.hash)) AS live
        FROM packs p
        WHERE p.id IN (SELECT id FROM packs WHERE state = 'live' AND created_at < ${options.cutoff}
                       ORDER BY random() LIMIT ${options.compactSample ?? 20})`,
  );
  for (const pack of candidates) {
    const data = pack.size - packHeaderBytes(pack.chunk_count);
    if (pack.live === 0 || pack.live >= data * COMPACT_BELOW) continue;
    const moved = await compactOne(deps, pack.id);
    if (moved === null) continue;
    report.compacted.count += 1;
    report.compacted.chunksMoved += moved.chunks;
    report.compacted.bytes += pack.size - moved.size;
  }
}

/** Copies one pack's live chunks into a new pack; null when a racing recipe called it off. */
async function compactOne(deps: Deps, oldId: string): Promise<{ chunks: number; size: number } | null> {
  const live = await deps.db.all<LiveChunk>(
    sql`SELECT c.hash, c.pack_offset, c.length FROM chunks c
        WHERE c.pack_id = ${oldId} AND EXISTS (SELECT 1 FROM recipe_chunks r WHERE r.chunk = c.hash)
        ORDER BY c.pack_offset`,
  );
  if (live.length === 0) return null;
  const entries: PackEntry[] = live.map((c) => ({ hex: c.hash, length: c.length }));
  const header = encodePackHeader(entries);
  const pack = new Uint8Array(header.length + live.reduce((s, c) => s + c.length, 0));
  pack.set(header);
  // Live chunks are at most half the old pack (≤ 32 MiB): copied through memory and re-hashed,
  // so a chunk that rotted in storage is never propagated.
  let at = header.length;
  const pieces = live.map((c) => ({ packId: oldId, packOffset: c.pack_offset, length: c.length }));
  for await (const run of coalesce(pieces)) {
    const body = await deps.blobs.packs.get(oldId, { offset: run.packOffset, length: run.length });
    if (!body) throw new Error(`pack ${oldId} is missing bytes its live chunks need`);
    pack.set(new Uint8Array(await new Response(body).arrayBuffer()), at);
    at += run.length;
  }
  const moves: [string, number][] = [];
  at = header.length;
  for (const c of live) {
    const hex = toHex(await crypto.subtle.digest('SHA-256', pack.subarray(at, at + c.length)));
    if (hex !== c.hash) throw new Error(`chunk ${c.hash} in pack ${oldId} no longer hashes right`);
    moves.push([c.hash, at]);
    at += c.length;
  }

  const newId = `pk_${crypto.randomUUID().replaceAll('-', '')}`;
  const now = deps.now();
  await runBatch(deps.db, [
    sql`INSERT INTO packs (id, size, chunk_count, state, created_at)
        VALUES (${newId}, ${pack.length}, ${live.length}, 'uploading', ${now})`,
  ]);
  await deps.blobs.packs.put(newId, pack);
  const kept = JSON.stringify(live.map((c) => c.hash));
  const json = JSON.stringify(moves);
  const ours = sql`EXISTS (SELECT 1 FROM packs WHERE id = ${oldId} AND successor = ${newId})`;
  const [retired] = await runBatch(deps.db, [
    // The fence: retire only if every chunk of the old pack a recipe uses now was copied.
    sql`UPDATE packs SET state = 'retired', retired_at = ${now}, successor = ${newId}
        WHERE id = ${oldId} AND state = 'live'
          AND NOT EXISTS (SELECT 1 FROM chunks c JOIN recipe_chunks r ON r.chunk = c.hash
                          WHERE c.pack_id = ${oldId} AND c.hash NOT IN (SELECT value FROM json_each(${kept})))
        RETURNING id`,
    sql`UPDATE packs SET state = 'live' WHERE id = ${newId} AND ${ours}`,
    sql`UPDATE chunks SET pack_id = ${newId},
          pack_offset = (SELECT j.value ->> 1 FROM json_each(${json}) j WHERE j.value ->> 0 = chunks.hash)
        WHERE pack_id = ${oldId} AND hash IN (SELECT value FROM json_each(${kept})) AND ${ours}`,
  ]);
  if (!retired || retired.length === 0) {
    // Called off: the copy never became visible; drop it (bytes, then row).
    await deps.blobs.packs.delete([newId]);
    await runBatch(deps.db, [sql`DELETE FROM packs WHERE id = ${newId}`]);
    return null;
  }
  return { chunks: live.length, size: pack.length };
}
