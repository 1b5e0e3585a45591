/**
 * Races on the real Worker: 50 clients doing the same thing at once must end in one stored
 * object, one row, one version, with every client told the truth (exactly one "created").
 * (Garbage collection racing publishes is covered with GC itself.)
 */
import { describe, expect, it } from 'vitest';
import { blobKey } from '../../src/storage/r2-blob-store';
import { call, digestOf, randomBytes, testEnv } from '../helpers/http';
import { checkInvariants } from '../helpers/invariants';
import { publish, storedFile, uniqueName } from '../helpers/registry';

const RACERS = 50;

function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n}×${s}`).join(' + ');
}

async function count(query: string, ...params: unknown[]): Promise<number> {
  return (await testEnv.DB.prepare(query)
    .bind(...params)
    .first<number>('n'))!;
}

/** One object under the blob's key, holding exactly the bytes, and one row. */
async function expectStoredOnce(digest: `sha256:${string}`, bytes: Uint8Array) {
  const listed = await testEnv.BLOBS.list({ prefix: blobKey(digest) });
  expect(listed.objects.map((o) => [o.key, o.size])).toEqual([[blobKey(digest), bytes.byteLength]]);
  const object = await testEnv.BLOBS.get(blobKey(digest));
  expect(await digestOf(new Uint8Array(await object!.arrayBuffer()))).toBe(digest);
  expect(await count('SELECT COUNT(*) AS n FROM blobs WHERE digest = ?', digest)).toBe(1);
  expect(await checkInvariants({ digests: [digest] })).toEqual([]);
}

/**
 * Back off like a real client (the CLI honours Retry-After): 50 clients retrying every few ms
 * starve the one completing the upload on a loaded machine, and the test then measures the
 * scheduler rather than the server.
 */
const pause = (attempt = 0) =>
  new Promise((resolve) => setTimeout(resolve, (5 + Math.random() * 20) * 2 ** Math.min(attempt, 5)));

/**
 * A multipart client that does not give up: start (or join) the session, send the one part,
 * complete; when another client holds the session (409) or finished it first (404/410), start over,
 * which then answers "exists". Returns the status of each start and of the final complete.
 */
async function persistentMultipart(digest: string, bytes: Uint8Array) {
  const starts: number[] = [];
  for (let attempt = 0; attempt < 200; attempt++) {
    const started = await call('/v1/uploads', { method: 'POST', json: { digest, size: bytes.length } });
    starts.push(started.status);
    const body = (await started.json()) as { uploadId?: string; exists?: boolean };
    if (started.status === 200 && body.exists) return { starts, completed: 200 };
    expect([200, 201]).toContain(started.status);
    const part = await call(`/v1/uploads/${body.uploadId}/parts/1`, { method: 'PUT', body: bytes });
    if (part.status !== 200) {
      // A part landing just after another client's complete removed the session: 404.
      expect([404, 409, 410], await part.text()).toContain(part.status);
      await pause(attempt);
      continue;
    }
    const done = await call(`/v1/uploads/${body.uploadId}/complete`, { method: 'POST' });
    if (done.status === 200 || done.status === 201) return { starts, completed: done.status };
    // Another client is completing it, finished it, or it lacks a part a racer has yet to send.
    expect([400, 404, 409, 410], await done.text()).toContain(done.status);
    await pause(attempt);
  }
  throw new Error('a multipart client never finished');
}

describe(`races: ${RACERS} clients at once`, () => {
  it(`${RACERS} identical single PUTs → one R2 object, one row, all 2xx, exactly one 201`, async () => {
    const bytes = randomBytes(64 * 1024);
    const digest = await digestOf(bytes);
    const statuses = await Promise.all(
      Array.from({ length: RACERS }, () =>
        call(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes }).then((r) => r.status),
      ),
    );
    console.log(`races: ${RACERS} identical PUT /v1/blobs → ${tally(statuses)}; 1 object, 1 row`);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(RACERS - 1);
    await expectStoredOnce(digest, bytes);
  });

  it(`${RACERS} multipart uploads of the same digest → one assembly, one row, one 201`, async () => {
    const bytes = randomBytes(256 * 1024);
    const digest = await digestOf(bytes);
    const results = await Promise.all(
      Array.from({ length: RACERS }, () => persistentMultipart(digest, bytes)),
    );
    const starts = results.flatMap((r) => r.starts);
    const completes = results.map((r) => r.completed);
    console.log(
      `races: ${RACERS} multipart clients of one digest → starts ${tally(starts)}; ` +
        `finished ${tally(completes)}; 1 object, 1 row`,
    );
    // One session was ever opened: a start racing the completion is refused by the insert itself
    // once the blob is stored, and answers "exists".
    expect(starts.filter((s) => s === 201)).toHaveLength(1);
    expect(completes.filter((s) => s === 201)).toHaveLength(1);
    expect(await count('SELECT COUNT(*) AS n FROM uploads WHERE digest = ?', digest)).toBe(0);
    await expectStoredOnce(digest, bytes);
    // 50 clients polling one session: ~5 s alone, but it crossed 30 s twice on a loaded 2-core
    // machine. A limit, not a timing assertion: it only bounds a stuck run.
  }, 120_000);

  it(`${RACERS} identical publishes → one version, one 201, the rest 200 with the same number`, async () => {
    const name = uniqueName('acme', 'race');
    const body = { kind: 'model', files: [await storedFile('model.pkl')], tags: ['latest'] };
    const responses = await Promise.all(Array.from({ length: RACERS }, () => publish(name, body)));
    const answers = await Promise.all(
      responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
    );
    console.log(`races: ${RACERS} identical publishes → ${tally(answers.map((a) => a.status))}; 1 version`);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(RACERS - 1);
    expect(new Set(answers.map((a) => `${a.body.version} ${a.body.digest}`)).size).toBe(1);
    expect(answers[0]!.body.version).toBe(1);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM versions v JOIN artifacts a ON a.id = v.artifact_id WHERE a.name = ?',
        name,
      ),
    ).toBe(1);
    // The tag's history stays gap-free however many publishes moved it.
    const history = (await (await call(`/v1/artifacts/${name}/tags/latest/history`)).json()) as {
      items: { from: string | null; to: string | null }[];
    };
    const oldestFirst = [...history.items].reverse();
    expect(oldestFirst[0]?.from).toBeNull();
    for (let i = 1; i < oldestFirst.length; i++) expect(oldestFirst[i]!.from).toBe(oldestFirst[i - 1]!.to);
    expect(await checkInvariants({ artifacts: [name] })).toEqual([]);
  });
});
