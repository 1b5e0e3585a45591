/**
 * Garbage collection of chunk packs (services/chunks/gc.ts), with real D1 and R2: dead packs
 * (interrupted pushes, files collected) are deleted, live ones kept, mostly-dead ones compacted;
 * and the fences hold under forced interleavings (helpers/faults.ts `interleave`, as in
 * gc-fences.test.ts): a recipe racing a pack's mark is refused with CHUNK_UNKNOWN or makes the
 * mark skip the pack, never commits over deleted bytes; a recipe racing a compaction calls it off.
 */
import { describe, expect, it } from 'vitest';
import { createDeps } from '../../src/deps';
import { collectGarbage } from '../../src/services/gc';
import {
  bodyBytes,
  cut,
  firstDifference,
  known,
  postPack,
  pushChunked,
  putRecipe,
  recipeOf,
  type TestChunk,
} from '../helpers/chunk-packs';
import { FaultInjector, faultyEnv, sendWith } from '../helpers/faults';
import { call, digestOf, randomBytes, testDeps, testEnv } from '../helpers/http';
import { publishOk, uniqueName } from '../helpers/registry';

const KiB = 1024;
const DAY = 86_400_000;
const GRACE = 30 * DAY;

const gcWith = (deps = testDeps()) => collectGarbage(deps, { dryRun: false, graceMs: GRACE, orphanPages: 0 });

/** Makes packs (and optionally blobs) look 40 days old, so GC may collect them. */
async function age(packs: readonly string[], digests: readonly string[] = []) {
  const old = Date.now() - 40 * DAY;
  for (const id of packs)
    await testEnv.DB.prepare('UPDATE packs SET created_at = ?1 WHERE id = ?2').bind(old, id).run();
  for (const d of digests)
    await testEnv.DB.prepare('UPDATE blobs SET created_at = ?1 WHERE digest = ?2').bind(old, d).run();
}

const packObject = async (id: string) => (await testEnv.BLOBS.head(`packs/${id}`)) !== null;
const packState = async (id: string) =>
  (await testEnv.DB.prepare('SELECT state FROM packs WHERE id = ?1').bind(id).first<{ state: string }>())
    ?.state ?? null;

async function knownOf(chunks: readonly TestChunk[]): Promise<string[]> {
  return ((await (await known(chunks.map((c) => c.hex))).json()) as { known: string[] }).known;
}

async function packIdOf(res: Response): Promise<string> {
  expect(res.status).toBe(201);
  return ((await res.json()) as { pack: string }).pack;
}

/** 48 KiB of fresh bytes cut in three chunks, stored in one pack (no recipe yet). */
async function packedFile() {
  const bytes = randomBytes(48 * KiB);
  const chunks = await cut(bytes, [16 * KiB]);
  return { bytes, digest: await digestOf(bytes), chunks, id: await packIdOf(await postPack(chunks)) };
}

/** An injector that runs `other` once, before the `nth` call (0-based) whose label starts with `at`. */
function interleaveAt(at: string, other: () => Promise<void>, nth = 0) {
  let seen = 0;
  let done = false;
  const injector = new FaultInjector(null, async (kind) => {
    if (done || !kind.startsWith(at)) return;
    if (seen++ === nth) {
      done = true;
      await other();
    }
  });
  return { injector, ran: () => done };
}

describe('pack GC', () => {
  it('an interrupted push (packs, no recipe) is never visible and is reclaimed after the grace period', async () => {
    const bytes = randomBytes(64 * KiB);
    const chunks = await cut(bytes, [16 * KiB]);
    const id = await packIdOf(await postPack(chunks));
    expect((await call(`/v1/blobs/${await digestOf(bytes)}`, { method: 'HEAD' })).status).toBe(404);
    await gcWith();
    expect(await packObject(id)).toBe(true); // young: kept (the push may still be under way)
    await age([id]);
    const report = await gcWith();
    expect(report.packs.deleted.count).toBeGreaterThanOrEqual(1);
    expect(await packObject(id)).toBe(false);
    expect(await packState(id)).toBeNull();
    expect(await knownOf(chunks)).toEqual([]);
  });

  it('a failure between pack upload and recipe commit leaves nothing visible; GC reclaims the packs later', async () => {
    const { digest, chunks, id } = await packedFile();
    const probe = new FaultInjector();
    const dry = sendWith(faultyEnv(probe));
    // Find the commit batch's position on a twin recipe, then fail exactly there.
    const twin = randomBytes(48 * KiB);
    const twinChunks = await cut(twin, [16 * KiB]);
    await postPack(twinChunks);
    expect((await putRecipe(await digestOf(twin), recipeOf(twinChunks), undefined, dry)).status).toBe(201);
    const failAt = probe.calls.findIndex((c) => c.startsWith('d1.batch(insert recipes'));
    expect(failAt).toBeGreaterThan(0);
    const res = await putRecipe(
      digest,
      recipeOf(chunks),
      undefined,
      sendWith(faultyEnv(new FaultInjector(failAt))),
    );
    expect(res.status).toBe(500);
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    const rows = await testEnv.DB.prepare('SELECT count(*) AS n FROM recipe_chunks WHERE digest = ?1')
      .bind(digest)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
    await age([id]);
    await gcWith();
    expect(await packObject(id)).toBe(false);
  });

  it('a pack upload that dies after its bytes are stored leaves an `uploading` pack, swept after a day', async () => {
    const chunks = await cut(randomBytes(32 * KiB), [16 * KiB]);
    // Fail the batch that makes the pack live (its second D1 batch).
    const probe = new FaultInjector();
    await postPack(await cut(randomBytes(32 * KiB), [16 * KiB]), undefined, sendWith(faultyEnv(probe)));
    const failAt = probe.calls.findIndex((c) => c.startsWith('d1.batch(update packs'));
    const res = await postPack(chunks, undefined, sendWith(faultyEnv(new FaultInjector(failAt))));
    expect(res.status).toBe(500);
    const [row] = (
      await testEnv.DB.prepare(
        "SELECT id FROM packs WHERE state = 'uploading' ORDER BY created_at DESC LIMIT 1",
      ).all<{
        id: string;
      }>()
    ).results;
    expect(row).toBeDefined();
    expect(await knownOf(chunks)).toEqual([]);
    await testEnv.DB.prepare('UPDATE packs SET created_at = ?1 WHERE id = ?2')
      .bind(Date.now() - 2 * DAY, row!.id)
      .run();
    await gcWith();
    expect(await packObject(row!.id)).toBe(false);
    expect(await packState(row!.id)).toBeNull();
  });

  it('packs of a published file are kept; once the file is collected, its packs go too', async () => {
    const keptBytes = randomBytes(40 * KiB);
    const kept = await pushChunked(keptBytes, [10 * KiB]);
    await publishOk(uniqueName('acme', 'gc'), {
      kind: 'model',
      files: [{ path: 'w', digest: kept.digest, size: 40 * KiB }],
    });
    const loose = await pushChunked(randomBytes(40 * KiB), [10 * KiB]);
    await age([...kept.packs, ...loose.packs], [kept.digest, loose.digest]);
    const report = await gcWith();
    expect(report.blobs.sample).toContain(loose.digest);
    expect(await packObject(loose.packs[0]!)).toBe(false);
    expect(await packObject(kept.packs[0]!)).toBe(true);
    const read = await call(`/v1/blobs/${kept.digest}`);
    expect(read.status).toBe(200);
    expect(firstDifference(await bodyBytes(read), keptBytes)).toBe(-1);
    expect((await call(`/v1/blobs/${loose.digest}`)).status).toBe(404);
  });

  it('GC marks a pack between a recipe’s check and its commit: 422 CHUNK_UNKNOWN; re-upload and retry works', async () => {
    const { bytes, digest, chunks, id } = await packedFile();
    await age([id]);
    const race = interleaveAt('d1.batch(insert recipes', async () => {
      await gcWith();
    });
    const res = await putRecipe(digest, recipeOf(chunks), undefined, sendWith(faultyEnv(race.injector)));
    expect(race.ran()).toBe(true);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { missing: string[] } } };
    expect(body.error.code).toBe('CHUNK_UNKNOWN');
    expect(body.error.details.missing).toEqual(chunks.map((c) => c.hex));
    expect(await packObject(id)).toBe(false);
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
    // The client's answer to CHUNK_UNKNOWN: upload them again, commit again.
    await packIdOf(await postPack(chunks));
    expect((await putRecipe(digest, recipeOf(chunks))).status).toBe(201);
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), bytes)).toBe(-1);
  });

  it('the chunks are stored anew between the refused commit and its re-check: the commit is retried, 201', async () => {
    const { bytes, digest, chunks, id } = await packedFile();
    // GC marks the pack just before the commit batch (the trigger refuses it); then, before the
    // recipe looks for its chunks again, another push stores them in a new pack.
    const batches: string[] = [];
    let refused = false;
    let reuploaded: string | null = null;
    const injector = new FaultInjector(null, async (kind) => {
      if (kind.startsWith('d1.batch(insert recipes')) {
        batches.push(kind);
        if (batches.length === 1) {
          await testEnv.DB.prepare("UPDATE packs SET state = 'deleting' WHERE id = ?1").bind(id).run();
          refused = true;
        }
      } else if (refused && reuploaded === null) {
        reuploaded = await packIdOf(await postPack(chunks));
      }
    });
    const res = await putRecipe(digest, recipeOf(chunks), undefined, sendWith(faultyEnv(injector)));
    expect(batches).toHaveLength(2);
    expect(reuploaded).not.toBeNull();
    expect(res.status).toBe(201);
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), bytes)).toBe(-1);
    await gcWith();
    expect(await packObject(id)).toBe(false);
    expect(await packObject(reuploaded as unknown as string)).toBe(true);
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), bytes)).toBe(-1);
  });

  it('GC takes the pack before every commit attempt, while the chunks keep being re-uploaded: 409 BLOB_BUSY, nothing stored', async () => {
    const { digest, chunks } = await packedFile();
    // Before each commit batch, mark every live pack holding these chunks; before each re-check,
    // store the chunks again, so the recipe finds them live and tries again, every time.
    let commits = 0;
    let refused = false;
    const injector = new FaultInjector(null, async (kind) => {
      if (kind.startsWith('d1.batch(insert recipes')) {
        commits += 1;
        refused = true;
        await testEnv.DB.prepare("UPDATE packs SET state = 'deleting' WHERE state = 'live'").run();
      } else if (refused) {
        refused = false;
        await packIdOf(await postPack(chunks));
      }
    });
    const res = await putRecipe(digest, recipeOf(chunks), undefined, sendWith(faultyEnv(injector)));
    expect(commits).toBe(3);
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).not.toBeNull();
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BLOB_BUSY');
    expect(body.error.message).toMatch(/packs holding chunks/);
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('a recipe arriving between GC’s mark and its sweep is refused: the pack is already `deleting`', async () => {
    const { digest, chunks, id } = await packedFile();
    await age([id]);
    let res: Response | null = null;
    const injector = new FaultInjector(null, async (kind) => {
      if (res || kind !== 'r2.delete' || (await packState(id)) !== 'deleting') return;
      res = await putRecipe(digest, recipeOf(chunks));
    });
    await gcWith(createDeps(faultyEnv(injector)));
    expect(res).not.toBeNull();
    const answer = res as unknown as Response;
    expect(answer.status).toBe(422);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('CHUNK_UNKNOWN');
    expect(await packObject(id)).toBe(false);
    expect((await call(`/v1/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('the mark lands after a recipe’s check, before its commit batch: the trigger refuses it, nothing committed', async () => {
    const { digest, chunks, id } = await packedFile();
    // GC's mark, exactly between the recipe's verification and its commit (the sweep comes later).
    const race = interleaveAt('d1.batch(insert recipes', async () => {
      await testEnv.DB.prepare("UPDATE packs SET state = 'deleting' WHERE id = ?1").bind(id).run();
    });
    const res = await putRecipe(digest, recipeOf(chunks), undefined, sendWith(faultyEnv(race.injector)));
    expect(race.ran()).toBe(true);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CHUNK_UNKNOWN');
    await gcWith();
    expect(await packObject(id)).toBe(false);
    const rows = await testEnv.DB.prepare(
      'SELECT (SELECT count(*) FROM recipes WHERE digest = ?1) + (SELECT count(*) FROM blobs WHERE digest = ?1) AS n',
    )
      .bind(digest)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it('a recipe commits between GC’s read and its mark: GC skips the pack, the blob reads back', async () => {
    const { bytes, digest, chunks, id } = await packedFile();
    await age([id]);
    let status = 0;
    // GC's third packs update is the dead-pack mark (after interrupted/retired marks, one sweep).
    const race = interleaveAt(
      'd1.batch(update packs',
      async () => {
        status = (await putRecipe(digest, recipeOf(chunks))).status;
      },
      1,
    );
    await gcWith(createDeps(faultyEnv(race.injector)));
    expect(race.ran()).toBe(true);
    expect(status).toBe(201);
    expect(await packState(id)).toBe('live');
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), bytes)).toBe(-1);
  });
});

describe('pack compaction', () => {
  async function mostlyDead() {
    // One pack of 4 chunks; the file uses only the first (25% live).
    const all = await cut(randomBytes(64 * KiB), [16 * KiB]);
    const id = await packIdOf(await postPack(all));
    const file = all[0]!.bytes;
    const digest = await digestOf(file);
    expect((await putRecipe(digest, recipeOf([all[0]!]))).status).toBe(201);
    await publishOk(uniqueName('acme', 'compact'), {
      kind: 'model',
      files: [{ path: 'f', digest, size: file.length }],
    });
    await age([id]);
    return { all, id, file, digest };
  }

  it('a mostly-dead pack is compacted: live chunks move to a new pack, the old one is retired, then deleted', async () => {
    const { all, id, file, digest } = await mostlyDead();
    const report = await gcWith();
    expect(report.packs.compacted.count).toBeGreaterThanOrEqual(1);
    expect(await packState(id)).toBe('retired');
    expect(await packObject(id)).toBe(true); // reads under way may still need it
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), file)).toBe(-1);
    expect(await knownOf(all)).toEqual([all[0]!.hex]);
    await testEnv.DB.prepare('UPDATE packs SET retired_at = ?1 WHERE id = ?2')
      .bind(Date.now() - 40 * DAY, id)
      .run();
    await gcWith();
    expect(await packObject(id)).toBe(false);
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), file)).toBe(-1);
    // A dead chunk of the retired pack, uploaded again, is stored anew (re-pointed) and usable.
    const again = await postPack([all[2]!]);
    expect(((await again.json()) as { newChunks: number }).newChunks).toBe(1);
    expect(await knownOf([all[2]!])).toEqual([all[2]!.hex]);
  });

  it('a recipe that starts using a dead chunk while the pack is being compacted calls the compaction off', async () => {
    const { all, id, digest, file } = await mostlyDead();
    const other = new Uint8Array([...all[1]!.bytes, ...all[2]!.bytes]);
    let status = 0;
    const race = interleaveAt('d1.batch(update packs, update packs, update chunks', async () => {
      status = (await putRecipe(await digestOf(other), recipeOf([all[1]!, all[2]!]))).status;
    });
    const report = await gcWith(createDeps(faultyEnv(race.injector)));
    expect(race.ran()).toBe(true);
    expect(status).toBe(201);
    expect(report.packs.compacted.count).toBe(0);
    expect(await packState(id)).toBe('live');
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${digest}`)), file)).toBe(-1);
    expect(firstDifference(await bodyBytes(await call(`/v1/blobs/${await digestOf(other)}`)), other)).toBe(
      -1,
    );
  });
});
