/**
 * Garbage collection (services/gc.ts): unreferenced blobs past the grace period go, from R2 and
 * D1; everything referenced stays, including under racing publishes. Blobs are made "old" by
 * back-dating their rows (D1 is the clock GC reads), so no other test file's blobs qualify.
 */
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/services/gc';
import { blobKey } from '../../src/storage/r2-blob-store';
import { call, createToken, errorCode, putBlob, randomBytes, testDeps, testEnv } from '../helpers/http';
import { publish, publishOk, storedFile, uniqueName } from '../helpers/registry';
import { PART, start } from '../helpers/uploads';

const DAY = 86_400_000;
const GRACE = 30 * DAY;
const RACERS = 200;

async function backdate(digests: readonly string[], days = 40) {
  await testEnv.DB.prepare(
    'UPDATE blobs SET created_at = ?1 WHERE digest IN (SELECT value FROM json_each(?2))',
  )
    .bind(Date.now() - days * DAY, JSON.stringify(digests))
    .run();
}

const gc = (dryRun = false, maxBlobs = 10_000) =>
  collectGarbage(testDeps(), { dryRun, graceMs: GRACE, maxBlobs, orphanPages: 0 });

const inR2 = async (digest: string) =>
  (await testEnv.BLOBS.head(blobKey(digest as `sha256:${string}`))) !== null;
const row = (digest: string) =>
  testEnv.DB.prepare('SELECT state FROM blobs WHERE digest = ?1').bind(digest).first<{ state: string }>();

describe('POST /v1/admin/gc', () => {
  it('deletes unreferenced old blobs, keeps referenced, young and uploading ones; a dry run deletes nothing', async () => {
    const garbage = (await putBlob(randomBytes(300))).digest;
    const young = (await putBlob(randomBytes(300))).digest;
    const used = await storedFile('model.pkl');
    const lockfile = await storedFile('requirements.txt', `numpy==${Math.random()}\n`);
    await publishOk(uniqueName(), {
      files: [used],
      environment: { lockfiles: [{ path: lockfile.path, digest: lockfile.digest }] },
    });
    await backdate([garbage, used.digest, lockfile.digest]);
    // An old row whose digest also has an open multipart session (e.g. a re-upload in flight).
    const uploading = (await putBlob(randomBytes(200), null)).digest; // refused: only the digest is used
    const session = await start(uploading, 200, PART);
    await testEnv.DB.prepare('INSERT INTO blobs (digest, size, created_at) VALUES (?1, 200, ?2)')
      .bind(uploading, Date.now() - 40 * DAY)
      .run();

    const dry = await call('/v1/admin/gc', { method: 'POST', json: { dryRun: true, orphanPages: 0 } });
    expect(dry.status).toBe(200);
    const dryReport = (await dry.json()) as { dryRun: boolean; blobs: { sample: string[] } };
    expect(dryReport.dryRun).toBe(true);
    expect(dryReport.blobs.sample).toContain(garbage);
    expect(await inR2(garbage)).toBe(true);
    expect((await row(garbage))?.state).toBe('live');

    const res = await call('/v1/admin/gc', { method: 'POST', json: { orphanPages: 0 } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { blobs: { count: number; sample: string[] }; graceSeconds: number };
    expect(report.graceSeconds).toBe(30 * 86_400);
    expect(report.blobs.sample).toContain(garbage);
    for (const kept of [used.digest, lockfile.digest, uploading, young])
      expect(report.blobs.sample).not.toContain(kept);
    expect(await inR2(garbage)).toBe(false);
    expect(await row(garbage)).toBeNull();
    expect((await call(`/v1/blobs/${garbage}`, { method: 'HEAD' })).status).toBe(404);
    for (const kept of [used.digest, lockfile.digest, young]) {
      expect(await inR2(kept)).toBe(true);
      expect((await call(`/v1/blobs/${kept}`, { method: 'HEAD' })).status).toBe(200);
    }
    await call(`/v1/uploads/${session.uploadId}`, { method: 'DELETE' });
  });

  it('needs admin, and validates its body', async () => {
    const { token } = await createToken(['write', 'promote']);
    expect((await call('/v1/admin/gc', { method: 'POST', json: {}, token })).status).toBe(403);
    expect((await call('/v1/admin/gc', { method: 'POST', json: {}, token: null })).status).toBe(401);
    const bad = await call('/v1/admin/gc', { method: 'POST', json: { dryRun: 'yes' } });
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe('BAD_REQUEST');
  });

  it('a blob marked for deletion is invisible and refuses writers until the sweep; then it can be stored anew', async () => {
    const bytes = randomBytes(512);
    const { digest } = await putBlob(bytes);
    // What a GC run that crashed between its mark and its sweep leaves behind.
    await testEnv.DB.prepare("UPDATE blobs SET state = 'deleting' WHERE digest = ?1").bind(digest).run();

    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    const check = await call('/v1/blobs/check', { method: 'POST', json: { digests: [digest] } });
    expect(((await check.json()) as { missing: string[] }).missing).toEqual([digest]);
    const busy = await call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes });
    expect(busy.status).toBe(409);
    expect(busy.headers.get('retry-after')).toBe('5');
    expect(await errorCode(busy)).toBe('BLOB_BUSY');
    const multipart = await call('/v1/uploads', { method: 'POST', json: { digest, size: bytes.length } });
    expect(multipart.status).toBe(409);
    const refused = await publish(uniqueName(), { files: [{ path: 'x', digest, size: bytes.length }] });
    expect(refused.status).toBe(422);
    expect(await errorCode(refused)).toBe('BLOB_UNKNOWN');

    const report = await gc();
    expect(report.resumed).toBeGreaterThanOrEqual(1);
    expect(await inR2(digest)).toBe(false);
    expect(await row(digest)).toBeNull();
    expect((await call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes })).status).toBe(201);
    expect(await inR2(digest)).toBe(true);
  });

  it('the version_files trigger refuses a reference to a blob that is not live (the publish half of the fence)', async () => {
    const f = await storedFile('data.csv');
    await testEnv.DB.prepare("UPDATE blobs SET state = 'deleting' WHERE digest = ?1").bind(f.digest).run();
    await expect(
      testEnv.DB.prepare(
        "INSERT INTO version_files (version_id, role, path, digest, size) VALUES (1, 'file', 'zzz', ?1, 1)",
      )
        .bind(f.digest)
        .run(),
    ).rejects.toThrow(/CAIRN_BLOB_NOT_LIVE/);
    await testEnv.DB.prepare("UPDATE blobs SET state = 'live' WHERE digest = ?1").bind(f.digest).run();
  });

  it('orphaned bytes (R2 object, no row) past the grace period are collected; claimed ones are not', async () => {
    const orphan = randomBytes(64);
    const { digest } = await putBlob(orphan);
    await testEnv.DB.prepare('DELETE FROM blobs WHERE digest = ?1').bind(digest).run(); // a write that died after R2
    const hex = digest.slice(7);
    const before =
      hex.slice(0, 8) === '00000000'
        ? ''
        : (BigInt(`0x${hex.slice(0, 8)}`) - 1n).toString(16).padStart(8, '0');
    // A clock 31 days ahead makes the fresh object old; only this key range is scanned.
    const scan = (dryRun: boolean) =>
      collectGarbage(testDeps({ now: () => Date.now() + 31 * DAY }), {
        dryRun,
        graceMs: GRACE,
        orphanPages: 1,
        orphanStart: before,
        maxBlobs: 1,
      });
    const dry = await scan(true);
    expect(dry.orphans.sample).toContain(digest);
    expect(await inR2(digest)).toBe(true);
    const real = await scan(false);
    expect(real.orphans.sample).toContain(digest);
    expect(await inR2(digest)).toBe(false);
    expect(await row(digest)).toBeNull();
  });
});

describe('GC racing publishes', () => {
  it('200 publishes land while GC runs: no blob a committed version references is ever deleted', async () => {
    const files = await Promise.all(
      Array.from({ length: RACERS }, async (_, i) => storedFile(`f${i}.bin`, randomBytes(32))),
    );
    await backdate(files.map((f) => f.digest));
    const name = uniqueName('acme', 'race');
    // Waves of publishes, each racing a GC run that marks a few of the old blobs: both orders
    // (GC first → publish refused; publish first → blob kept) happen in every wave.
    let gcRuns = 0;
    let collected = 0;
    const results: { f: (typeof files)[number]; status: number; code: string | null }[] = [];
    for (let wave = 0; wave < RACERS; wave += 20) {
      const [report, ...landed] = await Promise.all([
        gc(false, 3),
        ...files.slice(wave, wave + 20).map(async (f) => {
          const res = await publish(name, { files: [f] });
          return { f, status: res.status, code: res.status === 201 ? null : await errorCode(res) };
        }),
      ]);
      gcRuns++;
      collected += (report as Awaited<ReturnType<typeof gc>>).blobs.count;
      results.push(...(landed as typeof results));
    }

    const committed = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    for (const r of refused) expect([r.status, r.code]).toEqual([422, 'BLOB_UNKNOWN']);
    let referencedDeleted = 0;
    for (const { f } of committed) {
      if (!(await inR2(f.digest)) || (await row(f.digest))?.state !== 'live') referencedDeleted++;
    }
    console.log(
      `GC vs publish: ${results.length} publishes, ${committed.length} committed, ${refused.length} refused (GC won), ` +
        `${gcRuns} GC runs collected ${collected}; referenced blobs deleted: ${referencedDeleted}`,
    );
    expect(referencedDeleted).toBe(0);
    expect(committed.length + refused.length).toBe(RACERS);
    // A run without a race proves nothing: GC collected some of these blobs mid-run, so some
    // publishes were refused and others landed. (gc-fences.test.ts forces each order exactly.)
    expect(collected).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(committed.length).toBeGreaterThan(0);
  }, 120_000);
});
