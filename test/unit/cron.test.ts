/**
 * The hourly cron (src/index.ts `scheduled`), called the way the runtime calls it (a scheduled
 * controller and an execution context whose waitUntil work we wait for), with the real D1 and R2.
 * Each kind of record is placed 1 ms on either side of its cutoff, so the clock is frozen while
 * the cron runs (only Date is faked: timers and I/O stay real). Records are made old by
 * back-dating their rows, as in gc.test.ts.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readConfig } from '../../src/config';
import worker from '../../src/index';
import { IDEMPOTENCY_TTL_MS } from '../../src/services/idempotency';
import { blobKey } from '../../src/storage/r2-blob-store';
import { call, digestOf, errorCode, putBlob, randomBytes, testEnv } from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';
import { PART, putPart, start } from '../helpers/uploads';

const config = readConfig(testEnv);
const run = () => Math.random().toString(36).slice(2, 10);
const sql = (query: string, ...values: unknown[]) =>
  testEnv.DB.prepare(query)
    .bind(...values)
    .run();

/** Runs the cron with the clock at `now`, through every waitUntil it registers. */
async function runCron(now: number): Promise<void> {
  vi.useFakeTimers({ toFake: ['Date'], now });
  try {
    const ctx = createExecutionContext();
    await worker.scheduled!(
      createScheduledController({ scheduledTime: now, cron: '17 * * * *' }),
      testEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
  } finally {
    vi.useRealTimers();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** Rows of the three swept tables, one just past its cutoff and one just inside it. */
async function seedSweptRows(id: string, now: number) {
  const idempotencyCutoff = now - IDEMPOTENCY_TTL_MS;
  for (const [key, at] of [
    ['past', idempotencyCutoff - 1],
    ['inside', idempotencyCutoff + 1],
  ] as const) {
    await sql(
      `INSERT INTO idempotency_keys (principal_id, key, request_hash, status, body, created_at)
       VALUES (?1, ?2, 'hash', 201, '{}', ?3)`,
      `cron-${id}`,
      key,
      at,
    );
  }
  const windowEnd = now - config.authFailureWindowMs;
  await sql(
    'INSERT INTO auth_failures (key, window_start, count) VALUES (?1, ?2, 7)',
    `cron-${id}-past`,
    windowEnd - 1,
  );
  await sql(
    'INSERT INTO auth_failures (key, window_start, count) VALUES (?1, ?2, 7)',
    `cron-${id}-inside`,
    windowEnd + 1,
  );
  const retentionCutoff = now - config.auditRetentionMs;
  for (const [which, at] of [
    ['past', retentionCutoff - 1],
    ['inside', retentionCutoff + 1],
  ] as const) {
    await sql(
      `INSERT INTO audit_events (at, request_id, actor, method, path, action, status, outcome)
       VALUES (?1, ?2, 'cron-test', 'POST', '/v1/x', 'POST /v1/x', 201, 'ok')`,
      at,
      `cron-${id}-${which}`,
    );
  }
}

async function sweptRowsLeft(id: string) {
  const keys = await testEnv.DB.prepare(
    'SELECT key FROM idempotency_keys WHERE principal_id = ?1 ORDER BY key',
  )
    .bind(`cron-${id}`)
    .all<{ key: string }>();
  const windows = await testEnv.DB.prepare('SELECT key FROM auth_failures WHERE key LIKE ?1 ORDER BY key')
    .bind(`cron-${id}-%`)
    .all<{ key: string }>();
  const events = await testEnv.DB.prepare(
    'SELECT request_id FROM audit_events WHERE request_id LIKE ?1 ORDER BY request_id',
  )
    .bind(`cron-${id}-%`)
    .all<{ request_id: string }>();
  return {
    idempotency: keys.results.map((r) => r.key),
    authFailures: windows.results.map((r) => r.key),
    audit: events.results.map((r) => r.request_id),
  };
}

const blobRow = (digest: string) =>
  testEnv.DB.prepare('SELECT state FROM blobs WHERE digest = ?1').bind(digest).first<{ state: string }>();
const inR2 = async (digest: string) =>
  (await testEnv.BLOBS.head(blobKey(digest as `sha256:${string}`))) !== null;

describe('scheduled() — the hourly maintenance cron', () => {
  it('aborts expired uploads, collects old garbage, drops expired records; everything inside its cutoff stays', async () => {
    const id = run();
    const now = Date.now();
    const graceCutoff = now - config.gcGraceMs;

    // Blobs: unreferenced just past the grace period (garbage), unreferenced just inside it,
    // and referenced by a version while far past it.
    const garbage = (await putBlob(randomBytes(300))).digest;
    const young = (await putBlob(randomBytes(300))).digest;
    const used = await storedFile('model.pkl');
    await publishOk(uniqueName(), { files: [used] });
    await sql('UPDATE blobs SET created_at = ?1 WHERE digest = ?2', graceCutoff - 1, garbage);
    await sql('UPDATE blobs SET created_at = ?1 WHERE digest = ?2', graceCutoff + 1, young);
    await sql(
      'UPDATE blobs SET created_at = ?1 WHERE digest = ?2',
      graceCutoff - 40 * 86_400_000,
      used.digest,
    );

    // Multipart sessions with a part in R2: one expired 1 ms ago, one expiring 1 ms from now.
    const expiredBytes = randomBytes(PART + 10);
    const liveBytes = randomBytes(PART + 10);
    const expired = await start(await digestOf(expiredBytes), expiredBytes.length);
    const live = await start(await digestOf(liveBytes), liveBytes.length);
    expect((await putPart(expired.uploadId, 1, expiredBytes.subarray(0, PART))).status).toBe(200);
    expect((await putPart(live.uploadId, 1, liveBytes.subarray(0, PART))).status).toBe(200);
    await sql('UPDATE uploads SET expires_at = ?1 WHERE id = ?2', now - 1, expired.uploadId);
    await sql('UPDATE uploads SET expires_at = ?1 WHERE id = ?2', now + 1, live.uploadId);
    const r2Session = await testEnv.DB.prepare('SELECT digest, r2_upload_id AS r2 FROM uploads WHERE id = ?1')
      .bind(expired.uploadId)
      .first<{ digest: `sha256:${string}`; r2: string }>();

    await seedSweptRows(id, now);
    const log = vi.spyOn(console, 'log');
    await runCron(now);

    expect(await inR2(garbage)).toBe(false);
    expect(await blobRow(garbage)).toBeNull();
    for (const kept of [young, used.digest]) {
      expect(await inR2(kept)).toBe(true);
      expect((await blobRow(kept))?.state).toBe('live');
    }

    expect(await errorCode(await call(`/v1/uploads/${expired.uploadId}`))).toBe('UPLOAD_UNKNOWN');
    // R2 forgot the aborted upload: a part for it is refused.
    const orphanPart = testEnv.BLOBS.resumeMultipartUpload(
      blobKey(r2Session!.digest),
      r2Session!.r2,
    ).uploadPart(2, new Uint8Array(10));
    await expect(orphanPart).rejects.toThrow();
    // The session 1 ms from expiry is untouched (read from D1: by now the real clock passed it).
    const parts = await testEnv.DB.prepare('SELECT part_number AS n FROM upload_parts WHERE upload_id = ?1')
      .bind(live.uploadId)
      .all<{ n: number }>();
    expect(parts.results.map((p) => p.n)).toEqual([1]);

    expect(await sweptRowsLeft(id)).toEqual({
      idempotency: ['inside'],
      authFailures: [`cron-${id}-inside`],
      audit: [`cron-${id}-inside`],
    });

    // One summary line for the logs.
    const summary = log.mock.calls
      .map(([line]) => (typeof line === 'string' && line.startsWith('{') ? JSON.parse(line) : null))
      .find((line) => line?.cron === 'maintenance');
    expect(summary.gc.blobs).toBeGreaterThanOrEqual(1);
    expect(summary.expiredUploads).toBeGreaterThanOrEqual(1);
    expect(summary.auditPruned).toBeGreaterThanOrEqual(1);

    await call(`/v1/uploads/${live.uploadId}`, { method: 'DELETE' });
  });

  it('what is inside its cutoff survives a rerun, and goes once the clock passes the cutoff', async () => {
    const id = run();
    const now = Date.now();
    await seedSweptRows(id, now);
    await runCron(now);
    const kept = await sweptRowsLeft(id);
    await runCron(now);
    expect(await sweptRowsLeft(id)).toEqual(kept);
    // An hour later, what was 1 ms inside each cutoff is past it.
    await runCron(now + 3_600_000);
    expect(await sweptRowsLeft(id)).toEqual({ idempotency: [], authFailures: [], audit: [] });
  });
});
