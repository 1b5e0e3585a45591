/**
 * Garbage collection: deletes the bytes nothing needs any more, and never the bytes something does.
 *
 * A blob is garbage when it is older than the grace period (≥ the D1 Time Travel window, so a
 * database restored to any point in it never names deleted bytes) and nothing keeps it: no version
 * file or lockfile, no version manifest, no open multipart session, no write intent, no Git LFS
 * repository, no attestation (a signed bundle lives as long as its version), no OCI manifest (its
 * own bytes, or its config, layers and children: oci_manifest_refs, fenced by the same kind of
 * trigger, migrations/0007). The protocol against writers racing it (publishes, uploads) is mark,
 * then sweep:
 *
 *  1. MARK, one statement per batch: `UPDATE blobs SET state = 'deleting'` for rows that are, at
 *     that instant, live, old and unreferenced. D1 runs statements one at a time, so each publish
 *     batch runs wholly before or after it: before → the reference exists and the row is skipped;
 *     after → the version_files trigger (migrations/0004) sees a non-live blob and aborts the
 *     publish (422 BLOB_UNKNOWN: upload again). Writers take an intent (or a session) in one
 *     statement refused while a row is `deleting`, and the mark skips digests with one, so bytes
 *     being written are never marked.
 *  2. SWEEP: delete the marked bytes from R2, then the marked rows. A marked row is invisible to
 *     every reader and refused by every writer (409 BLOB_BUSY, retry), so the gap between the two
 *     deletes is never observed; a crash in between leaves marks that the next run sweeps first.
 *
 * Orphans (R2 objects without any row: a publish or upload that failed after its R2 write) are
 * found by listing R2 from a random point, and go through the same protocol: a `deleting` row is
 * inserted for them by the statement that checks they are still unclaimed.
 */

import { sql } from 'drizzle-orm';
import { type Digest, hexOf, isDigest } from '../contract/grammar';
import { chunk, runBatch } from '../db/client';
import type { Deps } from '../deps';
import { collectPacks, type PackGcReport } from './chunks/gc';
import { stagedKeys } from './oci/staged';
import { expireOciUploads } from './oci/uploads';
import { expireStaleUploads } from './uploads';

const DAY_MS = 86_400_000;
/** D1 Time Travel restores any minute of the last 30 days (Workers Paid): never collect younger. */
export const MIN_GRACE_MS = 30 * DAY_MS;
/** A write intent older than this belongs to a request that died: no request lives a day. */
export const INTENT_TTL_MS = DAY_MS;
const MARK_BATCH = 500;
/** Dead OCI writers' intents resolved per run (each costs an R2 head and a delete). */
const STAGED_INTENTS_PER_RUN = 200;
const SAMPLE = 100;

export interface GcOptions {
  dryRun: boolean;
  graceMs: number;
  /** Most blobs marked in one run (the rest wait for the next). */
  maxBlobs?: number;
  /** R2 list pages (1,000 keys each) scanned for orphans in one run. */
  orphanPages?: number;
  /** Where the orphan scan starts (hex prefix); random by default, so runs cover the key space. */
  orphanStart?: string;
}

export interface GcReport {
  dryRun: boolean;
  graceSeconds: number;
  cutoff: string;
  /** Unreferenced blobs past the grace period: deleted (or, in a dry run, that would be). */
  blobs: { count: number; bytes: number; sample: string[] };
  /** R2 objects without a row, past the grace period. */
  orphans: { count: number; bytes: number; scanned: number; sample: string[] };
  /** Marks left by an interrupted earlier run, swept first. */
  resumed: number;
  staleIntents: number;
  uploadsAborted: number;
  /** Chunk packs (services/chunks/gc.ts), after the blobs: a collected recipe frees its chunks. */
  packs: PackGcReport;
}

/** SQL: the blob row `b` is old enough and nothing keeps it (see the header). */
const collectable = (cutoff: number) => sql`
  b.state = 'live' AND b.created_at < ${cutoff}
  AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM blob_writes w WHERE w.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM lfs_objects o WHERE o.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM attestations a WHERE a.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM oci_manifests m WHERE m.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM oci_manifest_refs r WHERE r.digest = b.digest)`;

type Row = { digest: string; size: number };
const rowsOf = (rows: Record<string, unknown>[] | undefined): Row[] =>
  (rows ?? []).map((r) => ({ digest: String(r.digest), size: Number(r.size) }));

export async function collectGarbage(deps: Deps, options: GcOptions): Promise<GcReport> {
  const { db } = deps;
  const now = deps.now();
  const graceMs = Math.max(options.graceMs, MIN_GRACE_MS);
  const cutoff = now - graceMs;
  const maxBlobs = options.maxBlobs ?? 10_000;
  const report: GcReport = {
    dryRun: options.dryRun,
    graceSeconds: graceMs / 1000,
    cutoff: new Date(cutoff).toISOString(),
    blobs: { count: 0, bytes: 0, sample: [] },
    orphans: { count: 0, bytes: 0, scanned: 0, sample: [] },
    resumed: 0,
    staleIntents: 0,
    uploadsAborted: 0,
    packs: {
      deleted: { count: 0, bytes: 0 },
      compacted: { count: 0, bytes: 0, chunksMoved: 0 },
      checkpointsDropped: 0,
    },
  };

  if (options.dryRun) {
    const [rows] = await runBatch(db, [
      sql`SELECT digest, size FROM blobs b WHERE ${collectable(cutoff)} ORDER BY b.created_at LIMIT ${maxBlobs}`,
    ]);
    tally(report.blobs, rowsOf(rows));
  } else {
    report.resumed = (await sweepMarked(deps)).length;
    report.staleIntents = await expireStaleIntents(deps, now);
    report.uploadsAborted = (await expireStaleUploads(deps)) + (await expireOciUploads(deps));
    while (report.blobs.count < maxBlobs) {
      const [marked] = await runBatch(db, [
        sql`UPDATE blobs SET state = 'deleting'
            WHERE digest IN (SELECT b.digest FROM blobs b WHERE ${collectable(cutoff)}
                             LIMIT ${Math.min(MARK_BATCH, maxBlobs - report.blobs.count)})
            RETURNING digest, size`,
      ]);
      const rows = rowsOf(marked);
      if (rows.length === 0) break;
      tally(report.blobs, rows);
      await sweepMarked(deps);
    }
  }

  await collectOrphans(deps, options, cutoff, report);
  report.packs = await collectPacks(deps, { dryRun: options.dryRun, cutoff });
  return report;
}

/**
 * Drops the intents of writers that died (older than a day: no request lives that long). One that
 * names an OCI upload's staged chunks (services/oci/staged.ts) is resolved first: the chunks are
 * deleted unless the blob is their adoption (StagingStore.release), and only then its row goes,
 * so a crash or a failed release leaves the intent for the next run.
 */
async function expireStaleIntents(deps: Deps, now: number): Promise<number> {
  const before = now - INTENT_TTL_MS;
  const [plain, staged] = await runBatch(deps.db, [
    sql`DELETE FROM blob_writes WHERE started_at < ${before} AND staged_id IS NULL RETURNING id`,
    sql`SELECT id, digest, staged_id, staged_chunks FROM blob_writes
        WHERE started_at < ${before} AND staged_id IS NOT NULL LIMIT ${STAGED_INTENTS_PER_RUN}`,
  ]);
  const resolved: unknown[] = [];
  for (const row of staged ?? []) {
    const digest = String(row.digest);
    try {
      if (isDigest(digest)) {
        await deps.blobs.staging.release(
          digest,
          stagedKeys(String(row.staged_id), Number(row.staged_chunks)),
        );
      }
      resolved.push(row.id);
    } catch (err) {
      // One failed R2 call must not stop the run: the intent stays, the next run tries again.
      console.error(JSON.stringify({ gc: 'staged-release', intent: row.id, error: String(err) }));
    }
  }
  await runBatch(deps.db, [
    sql`DELETE FROM blob_writes WHERE id IN (SELECT value FROM json_each(${JSON.stringify(resolved)}))`,
  ]);
  return (plain?.length ?? 0) + resolved.length;
}

function tally(into: { count: number; bytes: number; sample: string[] }, rows: Row[]): void {
  into.count += rows.length;
  for (const r of rows) {
    into.bytes += r.size;
    if (into.sample.length < SAMPLE) into.sample.push(r.digest);
  }
}

/** Sweeps every marked row: bytes first, then the row (and any grants of it). */
async function sweepMarked(deps: Deps): Promise<string[]> {
  const { db } = deps;
  const swept: string[] = [];
  for (;;) {
    const [rows] = await runBatch(db, [
      sql`SELECT digest FROM blobs WHERE state = 'deleting' ORDER BY digest LIMIT 1000`,
    ]);
    const digests: Digest[] = (rows ?? []).map((r) => String(r.digest)).filter(isDigest);
    if (digests.length === 0) return swept;
    await deps.blobs.delete(digests);
    const json = JSON.stringify(digests);
    await runBatch(db, [
      sql`DELETE FROM blobs WHERE state = 'deleting' AND digest IN (SELECT value FROM json_each(${json}))`,
      sql`DELETE FROM blob_grants WHERE digest IN (SELECT value FROM json_each(${json}))`,
      // A chunked blob's recipe goes with its row; its packs are collected once no recipe uses them.
      sql`DELETE FROM recipe_chunks WHERE digest IN (SELECT value FROM json_each(${json}))`,
      sql`DELETE FROM recipes WHERE digest IN (SELECT value FROM json_each(${json}))`,
    ]);
    swept.push(...digests);
  }
}

async function collectOrphans(
  deps: Deps,
  options: GcOptions,
  cutoff: number,
  report: GcReport,
): Promise<void> {
  const { db } = deps;
  const start = options.orphanStart ?? randomHexPrefix();
  let after: string | null = start;
  let wrapped = false;
  for (let page = 0; page < (options.orphanPages ?? 1) && after !== null; page++) {
    const listed = await deps.blobs.list(after);
    // After wrapping around, stop where this run began: every key is looked at once at most.
    const objects = wrapped ? listed.blobs.filter((o) => hexOf(o.digest) <= start) : listed.blobs;
    report.orphans.scanned += objects.length;
    const old = objects.filter((o) => o.uploaded.getTime() < cutoff);
    for (const part of chunk(old, 500)) {
      const json = JSON.stringify(part.map((o) => [o.digest, o.size]));
      const unclaimed = sql`
        SELECT j.value ->> 0 AS digest, j.value ->> 1 AS size FROM json_each(${json}) j
        WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = j.value ->> 0)
          AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.digest = j.value ->> 0)
          AND NOT EXISTS (SELECT 1 FROM blob_writes w WHERE w.digest = j.value ->> 0)`;
      const [rows] = await runBatch(db, [
        options.dryRun
          ? unclaimed
          : // The mark: a `deleting` row fences writers exactly as for a collected blob.
            sql`INSERT INTO blobs (digest, size, created_at, state)
                SELECT digest, size, ${cutoff}, 'deleting' FROM (${unclaimed}) WHERE true
                ON CONFLICT (digest) DO NOTHING
                RETURNING digest, size`,
      ]);
      tally(report.orphans, rowsOf(rows));
    }
    if (!options.dryRun) await sweepMarked(deps);
    if (wrapped && objects.length < listed.blobs.length) break;
    after = listed.next;
    if (after === null && !wrapped && start !== '') {
      wrapped = true; // reached the end of the key space: go on from its start
      after = '';
    }
  }
}

function randomHexPrefix(): string {
  const [byte] = crypto.getRandomValues(new Uint8Array(1));
  return byte!.toString(16).padStart(2, '0');
}
