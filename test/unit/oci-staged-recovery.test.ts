/**
 * An OCI upload's last step (services/oci/staged.ts) takes the staged chunks from their session
 * (its row is deleted first), adopts them as the blob, then registers the blob. A writer that
 * dies in between used to leave the chunks with nothing naming them, forever. Now its write
 * intent names them until registration, and GC, a day later (services/gc.ts), deletes them unless
 * the blob is their adoption. Real D1 and R2; the "death" is a fault injected at that step.
 */
import { describe, expect, it } from 'vitest';
import { createDeps } from '../../src/deps';
import { collectGarbage } from '../../src/services/gc';
import { FaultInjector, faultyEnv, InjectedFault, sendWith } from '../helpers/faults';
import { call, digestOf, randomBytes, testDeps, testEnv } from '../helpers/http';
import { uniqueName } from '../helpers/registry';

const DAY = 86_400_000;

/** Fails the first call matching `target` made after one matching `after` (once). */
function failAfter(after: RegExp, target: RegExp): FaultInjector {
  const injector = new FaultInjector(null);
  const record = injector.hit.bind(injector);
  let armed = false;
  injector.hit = (kind: string) => {
    record(kind);
    if (armed && !injector.injected && target.test(kind)) {
      injector.injected = new InjectedFault(kind, injector.calls.length - 1);
      throw injector.injected;
    }
    if (after.test(kind)) armed = true;
  };
  return injector;
}

/** POST + PATCH a layer; returns the upload's location and id. */
async function stage(send: typeof call, repo: string, layer: Uint8Array) {
  const started = await send(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(started.status).toBe(202);
  const location = started.headers.get('location')!;
  const patched = await send(location, { method: 'PATCH', body: layer });
  expect(patched.status).toBe(202);
  return { location, id: location.split('/').at(-1)! };
}

const stagedKeys = async (id: string) =>
  (await testEnv.BLOBS.list({ prefix: `staging/${id}/` })).objects.map((o) => o.key);

const intents = async (digest: string) =>
  (
    await testEnv.DB.prepare('SELECT staged_id, staged_chunks FROM blob_writes WHERE digest = ?1')
      .bind(digest)
      .all<{ staged_id: string | null; staged_chunks: number | null }>()
  ).results;

/** GC as the cron runs it, two days from now (intents expire after one). */
const gcLater = () =>
  collectGarbage(testDeps({ now: () => Date.now() + 2 * DAY }), {
    dryRun: false,
    graceMs: 30 * DAY,
    orphanPages: 0,
  });

/** A fresh repository and layer of `size` random bytes. */
async function layerOf(size: number) {
  const layer = randomBytes(size);
  return { repo: uniqueName('acme', 'oci-died'), layer, digest: await digestOf(layer) };
}

/** The layer is served whole under its digest. */
async function expectServed(repo: string, digest: string, layer: Uint8Array) {
  const read = await call(`/v2/${repo}/blobs/${digest}`);
  expect(read.status).toBe(200);
  expect(new Uint8Array(await read.arrayBuffer())).toEqual(layer);
}

describe('OCI staged chunks of a writer that died', () => {
  it('dies before adopting: the intent names the chunks; GC a day later deletes them, the retry works', async () => {
    const { repo, layer, digest } = await layerOf(5000);
    const { location, id } = await stage(call, repo, layer);
    // The first R2 call after the session row is gone: adopt's look at the staged chunk.
    const injector = failAfter(/delete oci_uploads/, /^r2\./);
    const done = await sendWith(faultyEnv(injector))(`${location}?digest=${digest}`, { method: 'PUT' });
    expect(injector.injected).not.toBeNull();
    expect(done.status).toBe(500);
    expect((await call(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    expect(await stagedKeys(id)).toEqual([`staging/${id}/1`]);
    expect(await intents(digest)).toEqual([{ staged_id: id, staged_chunks: 1 }]);

    // Not yet a day: GC leaves it alone (the writer might still be running).
    await collectGarbage(testDeps(), { dryRun: false, graceMs: 30 * DAY, orphanPages: 0 });
    expect(await stagedKeys(id)).toHaveLength(1);

    const report = await gcLater();
    expect(report.staleIntents).toBeGreaterThanOrEqual(1);
    expect(await stagedKeys(id)).toEqual([]);
    expect(await intents(digest)).toEqual([]);

    // The client's retry: a new session, stored and served.
    const again = await stage(call, repo, layer);
    expect((await call(`${again.location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
    await expectServed(repo, digest, layer);
  });

  it('dies after adopting, before registering; the retry adopts its own chunks; GC deletes the first ones only', async () => {
    const { repo, layer, digest } = await layerOf(7000);
    const first = await stage(call, repo, layer);
    const injector = failAfter(/delete oci_uploads/, /insert blobs/);
    const done = await sendWith(faultyEnv(injector))(`${first.location}?digest=${digest}`, { method: 'PUT' });
    expect(injector.injected?.kind).toMatch(/insert blobs/);
    expect(done.status).toBe(500);
    expect((await call(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);

    const retry = await stage(call, repo, layer);
    expect((await call(`${retry.location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);

    await gcLater();
    expect(await stagedKeys(first.id)).toEqual([]);
    expect(await stagedKeys(retry.id)).toEqual([`staging/${retry.id}/1`]);
    expect(await intents(digest)).toEqual([]);
    await expectServed(repo, digest, layer);
  });

  it('dies after adopting and nobody retries: GC keeps the chunks the stored pointer names', async () => {
    const { repo, layer, digest } = await layerOf(6000);
    const { location, id } = await stage(call, repo, layer);
    const injector = failAfter(/delete oci_uploads/, /insert blobs/);
    expect(
      (await sendWith(faultyEnv(injector))(`${location}?digest=${digest}`, { method: 'PUT' })).status,
    ).toBe(500);
    await gcLater();
    // An unregistered pointer is an orphan: the orphan scan deletes it, and its chunks with it,
    // after the grace period. Until then the chunks stay, and nothing is served.
    expect(await stagedKeys(id)).toEqual([`staging/${id}/1`]);
    expect(await intents(digest)).toEqual([]);
    expect((await call(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('a multipart assembly of the digest takes the lease after the check: the intent stays, GC frees the chunks it overwrote', async () => {
    const { repo, layer, digest } = await layerOf(4000);
    const { location, id } = await stage(call, repo, layer);
    const now = Date.now();
    // A /v1 multipart completion of the same digest takes its lease between this completion's
    // check and its registration: registration must wait for it (nothing becomes visible).
    let raced = false;
    const injector = new FaultInjector(null, async (kind) => {
      if (raced || !/delete oci_uploads/.test(kind)) return;
      raced = true;
      await testEnv.DB.prepare(
        `INSERT INTO uploads (id, digest, size, part_size, part_count, r2_upload_id, state, lease_until,
                              created_by, created_at, expires_at)
         VALUES ('upl_race', ?1, ?2, ?2, 1, 'r2-upload', 'completing', ?3, 'test', ?4, ?5)`,
      )
        .bind(digest, layer.length, now + 60_000, now, now + DAY)
        .run();
    });
    let done: Response;
    try {
      done = await sendWith(faultyEnv(injector))(`${location}?digest=${digest}`, { method: 'PUT' });
    } finally {
      // The stand-in session has no R2 upload behind it: never leave it for GC to abort.
      await testEnv.DB.prepare("DELETE FROM uploads WHERE id = 'upl_race'").run();
    }
    expect(raced).toBe(true);
    expect(done.status).toBeGreaterThanOrEqual(400);
    expect(await intents(digest)).toEqual([{ staged_id: id, staged_chunks: 1 }]);
    // The assembly wins: its bytes at the blob's key (replacing the pointer), then its row.
    await testEnv.BLOBS.put(`blobs/sha256/${digest.slice(7)}`, layer);
    await testEnv.DB.prepare('INSERT INTO blobs (digest, size, created_at) VALUES (?1, ?2, ?3)')
      .bind(digest, layer.length, now)
      .run();
    await gcLater();
    expect(await stagedKeys(id)).toEqual([]);
    expect(await intents(digest)).toEqual([]);
    await expectServed(repo, digest, layer);
  });

  it('two uploads of one digest complete at once: the one whose pointer was replaced deletes its own chunks', async () => {
    const { repo, layer, digest } = await layerOf(5000);
    const first = await stage(call, repo, layer);
    const second = await stage(call, repo, layer);
    // The second upload completes entirely between the first's adoption and its registration:
    // its pointer replaces the first's at the blob's key.
    let raced = false;
    const injector = new FaultInjector(null, async (kind) => {
      if (raced || !/insert blobs/.test(kind)) return;
      raced = true;
      expect((await call(`${second.location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
    });
    const done = await sendWith(faultyEnv(injector))(`${first.location}?digest=${digest}`, { method: 'PUT' });
    expect(raced).toBe(true);
    expect(done.status).toBe(201);
    expect(await stagedKeys(first.id)).toEqual([]);
    expect(await stagedKeys(second.id)).toEqual([`staging/${second.id}/1`]);
    expect(await intents(digest)).toEqual([]);
    await expectServed(repo, digest, layer);
  });

  it('a release that fails leaves its intent for the next run, and does not stop the rest of GC', async () => {
    const { repo, layer, digest } = await layerOf(4000);
    const { location, id } = await stage(call, repo, layer);
    const died = failAfter(/delete oci_uploads/, /^r2\./);
    expect((await sendWith(faultyEnv(died))(`${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(
      500,
    );
    // The first R2 call of GC's release (its look at the blob's key) fails.
    const broken = failAfter(/select id, digest, staged_id|select blob_writes/, /^r2\./);
    const later = () => Date.now() + 2 * DAY;
    const report = await collectGarbage(createDeps(faultyEnv(broken), { now: later }), {
      dryRun: false,
      graceMs: 30 * DAY,
      orphanPages: 0,
    });
    expect(broken.injected).not.toBeNull();
    expect(report.packs).toBeDefined();
    expect(await intents(digest)).toEqual([{ staged_id: id, staged_chunks: 1 }]);
    expect(await stagedKeys(id)).toHaveLength(1);
    await gcLater();
    expect(await intents(digest)).toEqual([]);
    expect(await stagedKeys(id)).toEqual([]);
  });

  it('a completed upload leaves no intent behind', async () => {
    const { repo, layer, digest } = await layerOf(3000);
    const { location, id } = await stage(call, repo, layer);
    expect((await call(`${location}?digest=${digest}`, { method: 'PUT' })).status).toBe(201);
    expect(await intents(digest)).toEqual([]);
    await gcLater();
    expect(await stagedKeys(id)).toEqual([`staging/${id}/1`]);
    await expectServed(repo, digest, layer);
  });
});
