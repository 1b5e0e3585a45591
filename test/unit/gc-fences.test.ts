/**
 * Deterministic interleavings of garbage collection with the writers it races: a publish and a
 * Git LFS upload batch. Each writer reads "this blob is live", then commits something that keeps
 * the blob; GC marks unreferenced blobs. The fault injector's `interleave` hook (helpers/faults.ts)
 * runs one side at the exact moment the other is about to send its committing statement, so
 * both orders are forced every run, not hoped for:
 *   - GC marks between the writer's read and its commit → the writer is refused (publish: 422
 *     BLOB_UNKNOWN) or answers "not stored" (LFS: an upload action), and the bytes are collected;
 *   - the writer commits between GC's read and its mark → GC skips the blob, which stays.
 * Before the LFS fence (services/lfs/objects.ts), the first LFS case answered "stored" for bytes
 * GC then deleted.
 */
import { describe, expect, it } from 'vitest';
import { createDeps } from '../../src/deps';
import { collectGarbage } from '../../src/services/gc';
import { blobKey } from '../../src/storage/r2-blob-store';
import { FaultInjector, faultyEnv, sendWith } from '../helpers/faults';
import { errorCode, putBlob, randomBytes, testDeps, testEnv } from '../helpers/http';
import { type BatchObject, batchObjects, LFS_TYPE } from '../helpers/lfs';
import { publish, storedFile, uniqueName } from '../helpers/registry';

const DAY = 86_400_000;
const GRACE = 30 * DAY;

async function oldBlob() {
  const bytes = randomBytes(48);
  const file = { ...(await storedFile('weights.bin', bytes)), bytes };
  await testEnv.DB.prepare('UPDATE blobs SET created_at = ?1 WHERE digest = ?2')
    .bind(Date.now() - 40 * DAY, file.digest)
    .run();
  return file;
}

const gcWith = (deps = testDeps()) => collectGarbage(deps, { dryRun: false, graceMs: GRACE, orphanPages: 0 });

const inR2 = async (digest: string) =>
  (await testEnv.BLOBS.head(blobKey(digest as `sha256:${string}`))) !== null;

/** An injector that runs `other` once, just before the first call whose label starts with `at`. */
function interleaveOnce(at: string, other: () => Promise<void>) {
  let done = false;
  const seen: string[] = [];
  const injector = new FaultInjector(null, async (kind) => {
    seen.push(kind);
    if (!done && kind.startsWith(at)) {
      done = true;
      await other();
    }
  });
  return { injector, ran: () => done, seen };
}

function lfsBatchWith(send: ReturnType<typeof sendWith>, repo: string, oid: string, size: number) {
  return send(`/lfs/${repo}/objects/batch`, {
    method: 'POST',
    body: new TextEncoder().encode(
      JSON.stringify({
        operation: 'upload',
        transfers: ['basic'],
        objects: [{ oid, size }],
        hash_algo: 'sha256',
      }),
    ),
    headers: { accept: LFS_TYPE, 'content-type': LFS_TYPE },
  });
}

describe('GC fences: forced interleavings', () => {
  it('GC marks between a publish’s check and its commit: the publish is refused, the bytes go', async () => {
    const file = await oldBlob();
    let report: Awaited<ReturnType<typeof gcWith>> | undefined;
    const race = interleaveOnce('d1.batch(insert artifacts', async () => {
      report = await gcWith();
    });
    const send = sendWith(faultyEnv(race.injector));
    const res = await send(`/v1/artifacts/${uniqueName('acme', 'fence')}/versions`, {
      method: 'POST',
      json: { kind: 'model', files: [{ path: file.path, digest: file.digest, size: file.size }] },
    });
    expect(race.ran()).toBe(true);
    expect(report?.blobs.sample).toContain(file.digest);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { missing: string[] } } };
    expect(body.error.code).toBe('BLOB_UNKNOWN');
    expect(body.error.details.missing).toEqual([file.digest]);
    expect(await inR2(file.digest)).toBe(false);
  });

  it('a publish commits between GC’s read and its mark: GC skips the blob, which stays', async () => {
    const file = await oldBlob();
    let published = 0;
    const race = interleaveOnce('d1.batch(update blobs', async () => {
      published = (
        await publish(uniqueName('acme', 'fence'), {
          kind: 'model',
          files: [{ path: file.path, digest: file.digest, size: file.size }],
        })
      ).status;
    });
    const report = await gcWith(createDeps(faultyEnv(race.injector)));
    expect(race.ran()).toBe(true);
    expect(published).toBe(201);
    expect(report.blobs.sample).not.toContain(file.digest);
    expect(await inR2(file.digest)).toBe(true);
    const row = await testEnv.DB.prepare('SELECT state FROM blobs WHERE digest = ?1')
      .bind(file.digest)
      .first();
    expect(row?.state).toBe('live');
  });

  it('GC marks between an LFS batch’s read and its hold: the object is answered "not stored", never "stored"', async () => {
    const file = await oldBlob();
    const oid = file.digest.slice(7);
    let report: Awaited<ReturnType<typeof gcWith>> | undefined;
    const race = interleaveOnce('d1.batch(insert lfs_objects', async () => {
      report = await gcWith();
    });
    const res = await lfsBatchWith(
      sendWith(faultyEnv(race.injector)),
      uniqueName('acme', 'lfs'),
      oid,
      file.size,
    );
    expect(race.ran()).toBe(true);
    expect(report?.blobs.sample).toContain(file.digest);
    expect(res.status).toBe(200);
    const { objects } = (await res.json()) as { objects: BatchObject[] };
    // The bytes are gone, so the client must upload them: an upload action, not an empty answer.
    expect(objects[0]?.actions?.upload).toBeDefined();
    expect(await inR2(file.digest)).toBe(false);
  });

  it('an LFS batch holds the object between GC’s read and its mark: GC skips it, the answer is "stored"', async () => {
    const file = await oldBlob();
    const oid = file.digest.slice(7);
    const repo = uniqueName('acme', 'lfs');
    let answer: BatchObject[] = [];
    const race = interleaveOnce('d1.batch(update blobs', async () => {
      answer = await batchObjects(repo, 'upload', [{ oid, size: file.size }]);
    });
    const report = await gcWith(createDeps(faultyEnv(race.injector)));
    expect(race.ran()).toBe(true);
    expect(answer[0]?.actions).toBeUndefined();
    expect(answer[0]?.error).toBeUndefined();
    expect(report.blobs.sample).not.toContain(file.digest);
    expect(await inR2(file.digest)).toBe(true);
  });

  it('a publish refused by the fence succeeds once the bytes are uploaded again', async () => {
    const { bytes, ...file } = await oldBlob();
    const race = interleaveOnce('d1.batch(insert artifacts', async () => {
      await gcWith();
    });
    const name = uniqueName('acme', 'fence');
    const refused = await sendWith(faultyEnv(race.injector))(`/v1/artifacts/${name}/versions`, {
      method: 'POST',
      json: { kind: 'model', files: [file] },
    });
    expect(await errorCode(refused)).toBe('BLOB_UNKNOWN');
    expect((await putBlob(bytes)).res.status).toBe(201);
    expect((await publish(name, { kind: 'model', files: [file] })).status).toBe(201);
  });
});
