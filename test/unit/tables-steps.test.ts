/**
 * Profiles computed in steps (a file too large for one invocation), over real D1 and R2: with a
 * tiny byte budget the consumer stops many times, saves its progress and resumes; the profile
 * and the row index it ends with equal the one-pass ones exactly. A redelivered step loses the
 * compare-and-swap and counts nothing. And the single-line file: refused at the row bound
 * however long the line is, having read only about that much of it.
 */

import { createMessageBatch } from 'cloudflare:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/contract/grammar';
import { consumeProfiles, type ProfileMessage, profileOne } from '../../src/services/tables/queue';
import { csvReader, jsonlReader, MAX_ROW_CHARS, type TableReader } from '../../src/services/tables/reader';
import { profileStep, type StepState, unfinishedUtf8 } from '../../src/services/tables/run';
import { keyText, readIndex, readProgress, readState, saveProgress } from '../../src/services/tables/store';
import { testDeps, testEnv } from '../helpers/http';
import { profiled, storedText } from '../helpers/tables';

const db = () => testEnv.DB;

async function forget(digest: string): Promise<void> {
  for (const table of [
    'table_profiles',
    'table_index_chunks',
    'table_profile_progress',
    'table_profile_progress_parts',
  ]) {
    await db().prepare(`DELETE FROM ${table} WHERE digest = ?`).bind(digest).run();
  }
}

async function snapshot(digest: string, key: string) {
  const deps = testDeps();
  const chunks = await db()
    .prepare('SELECT chunk, cells FROM table_index_chunks WHERE digest = ? AND key = ? ORDER BY chunk')
    .bind(digest, key)
    .all();
  return {
    state: await readState(deps, digest, key),
    index: await readIndex(deps, digest, key),
    chunks: chunks.results,
  };
}

/** Profiles a file in one pass, then again from scratch in steps of `budget` bytes. */
async function onceAndInSteps(
  path: string,
  bytes: string | Uint8Array,
  key: string[] | null,
  budget: number,
) {
  const deps = testDeps();
  const digest = await storedText(bytes);
  const message: ProfileMessage = { digest, path, key };
  const k = keyText(key);
  expect(await profileOne(deps, message, Number.POSITIVE_INFINITY)).toBe('done');
  const once = await snapshot(digest, k);
  await forget(digest);
  let steps = 0;
  for (;;) {
    const r = await profileOne(deps, message, budget);
    steps++;
    if (r === 'done') break;
    expect(r).toBe('continued');
  }
  const left = await db()
    .prepare(
      'SELECT (SELECT count(*) FROM table_profile_progress WHERE digest = ?1) + (SELECT count(*) FROM table_profile_progress_parts WHERE digest = ?1) AS n',
    )
    .bind(digest)
    .first<{ n: number }>();
  return { digest, key: k, once, stepped: await snapshot(digest, k), steps, left: left!.n };
}

/** A CSV with a byte-order mark, multi-byte characters, quoted newlines and CRLF line ends. */
function awkwardCsv(rows: number): string {
  const lines = ['\uFEFFid,name,score,note'];
  for (let i = 1; i <= rows; i++) {
    const name = ['Åsa', '名前', 'Zoë', '😀x', 'plain'][i % 5];
    const note = i % 11 === 0 ? '"two\r\nlines, quoted"' : i % 13 === 0 ? '' : `n${i % 50}`;
    lines.push(`${i},${name},${(i % 89) / 4},${note}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe('profiles in steps', () => {
  it('CSV: a profile resumed 20+ times equals the one-pass profile and row index, cell for cell', async () => {
    // 60,000 rows × (2 key cells + 4 columns): the index spans two pages, one filled mid-way.
    const r = await onceAndInSteps(`t/${crypto.randomUUID()}.csv`, awkwardCsv(60_000), ['id'], 40_000);
    expect(r.once.state?.state).toBe('ready');
    expect(r.steps).toBeGreaterThan(20);
    expect(r.stepped.state).toEqual(r.once.state);
    expect(r.stepped.index).toEqual(r.once.index);
    expect(r.stepped.chunks).toEqual(r.once.chunks);
    expect(r.once.chunks.length).toBe(2);
    expect(r.left).toBe(0);
  });

  it('JSON Lines with a key first seen after the first step: equal too', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 3000; i++) {
      lines.push(
        JSON.stringify({
          id: i,
          city: ['Oslo', 'Łódź', '東京'][i % 3],
          ...(i > 2000 ? { late: i / 2 } : {}),
        }),
      );
    }
    const r = await onceAndInSteps(`t/${crypto.randomUUID()}.jsonl`, `${lines.join('\n')}\n`, ['id'], 2_000);
    expect(r.steps).toBeGreaterThan(20);
    expect(r.stepped.state).toEqual(r.once.state);
    expect(r.stepped.index).toEqual(r.once.index);
    expect(r.once.index).toMatchObject({ rows: 3000, columns: 3 });
  });

  it('Parquet: one row group a step, equal too', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => i);
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'id', data: ids, type: 'INT32' },
          { name: 'v', data: ids.map((i) => (i % 9 === 0 ? null : `v${i % 37}`)), type: 'STRING' },
        ],
        rowGroupSize: 400,
      }),
    );
    const r = await onceAndInSteps(`t/${crypto.randomUUID()}.parquet`, bytes, ['id'], 1);
    expect(r.steps).toBe(5);
    expect(r.stepped.state).toEqual(r.once.state);
    expect(r.stepped.index).toEqual(r.once.index);
  });

  it('a redelivered step loses the compare-and-swap: nothing is counted twice', async () => {
    const deps = testDeps();
    const path = `t/${crypto.randomUUID()}.csv`;
    const text = awkwardCsv(3000);
    const digest = await storedText(text);
    const message: ProfileMessage = { digest, path, key: ['id'] };
    expect(await profileOne(deps, message, Number.POSITIVE_INFINITY)).toBe('done');
    const once = await snapshot(digest, '["id"]');
    await forget(digest);
    expect(await profileOne(deps, message, 10_000)).toBe('continued');
    // Two deliveries of the second step, both reading the progress before either saves.
    const progress = await readProgress<StepState>(deps, digest, '["id"]');
    expect(progress?.step).toBe(1);
    const steps = await Promise.all(
      // 3,000 rows fill less than one index page: nothing to flush.
      [0, 1].map(() =>
        profileStep(deps, digest as Digest, 'csv', ['id'], progress, 10_000, async () => undefined),
      ),
    );
    expect(steps[0]).toEqual(steps[1]);
    const step = steps[0]!;
    if (step.kind !== 'stopped') throw new Error(`step is ${step.kind}`);
    const next = { offset: step.offset, chunks: 0, state: step.state };
    expect(await saveProgress(deps, digest, '["id"]', 1, next)).toBe(true);
    expect(await saveProgress(deps, digest, '["id"]', 1, next)).toBe(false);
    // The original message, redelivered, resumes from step 2: it does the next step's work.
    for (
      let r = await profileOne(deps, message, 10_000);
      r !== 'done';
      r = await profileOne(deps, message, 10_000)
    ) {
      expect(r).toBe('continued');
    }
    expect(await snapshot(digest, '["id"]')).toEqual(once);
  });

  it('a step whose last chunk holds only the end of a character resumes at that character’s first byte', async () => {
    // 😀 is F0 9F 98 80: the store hands the first step "…F0 9F", then a lone 98; the step ends
    // there, with the character unfinished across two chunks.
    const bytes = new TextEncoder().encode('n,s\n1,aa😀b\n2,c\n');
    const at = bytes.indexOf(0xf0);
    const digest = (await storedText(bytes)) as Digest;
    const deps = testDeps();
    const pieces = [bytes.subarray(0, at + 2), bytes.subarray(at + 2, at + 3), bytes.subarray(at + 3)];
    const blobs = {
      ...deps.blobs,
      get: async (_d: Digest, range?: { offset: number; length: number }) => {
        const parts = !range || range.offset === 0 ? pieces : [bytes.subarray(range.offset)];
        return {
          size: bytes.length,
          verified: true,
          body: new ReadableStream<Uint8Array>({
            start(controller) {
              for (const p of parts) controller.enqueue(p.slice());
              controller.close();
            },
          }),
        };
      },
    };
    const stepped = { ...deps, blobs } as typeof deps;
    const flush = async () => undefined;
    const first = await profileStep(stepped, digest, 'csv', null, null, at + 3, flush);
    expect(first.kind).toBe('stopped');
    if (first.kind !== 'stopped') return;
    expect(first.offset).toBe(at);
    const rest = await profileStep(stepped, digest, 'csv', null, first, Number.POSITIVE_INFINITY, flush);
    const whole = await profileStep(deps, digest, 'csv', null, null, Number.POSITIVE_INFINITY, flush);
    expect(rest.kind).toBe('done');
    expect(rest).toEqual(whole);
  });

  it('the messages of one batch share its byte budget: each file reads its share, then continues', async () => {
    const csv = `id,v\n${Array.from({ length: 200 }, (_, i) => `${i},${i * 3}`).join('\n')}\n`;
    const fileMessage = async (n: string): Promise<ProfileMessage> => ({
      digest: await storedText(`${csv}${n},0\n`),
      path: `${n}.csv`,
      key: null,
    });
    const continued: ProfileMessage[] = [];
    const profiles = {
      sendBatch: async (list: { body: ProfileMessage }[]) => {
        continued.push(...list.map((m) => m.body));
      },
    };
    const deps = testDeps({
      profiles: profiles as unknown as NonNullable<ReturnType<typeof testDeps>['profiles']>,
    });
    const batch = (list: ProfileMessage[]) =>
      createMessageBatch<ProfileMessage>(
        'cairn-profiles',
        list.map((body, i) => ({
          id: `m${i}-${crypto.randomUUID()}`,
          timestamp: new Date(),
          attempts: 1,
          body,
        })),
      );
    // Each file alone fits the budget; two in one batch get half of it each: both continue.
    await consumeProfiles(deps, batch([await fileMessage('a'), await fileMessage('b')]), csv.length + 100);
    expect(continued.map((m) => m.path).sort()).toEqual(['a.csv', 'b.csv']);
    continued.length = 0;
    const alone = await fileMessage('c');
    await consumeProfiles(deps, batch([alone]), csv.length + 100);
    expect(continued).toEqual([]);
    expect((await readState(testDeps(), alone.digest as Digest, ''))?.state).toBe('ready');
  });

  it('a step never ends inside a UTF-8 sequence', () => {
    const bytes = new TextEncoder().encode('aé東😀');
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => unfinishedUtf8(bytes.subarray(0, n)))).toEqual([
      0, 1, 0, 1, 2, 0, 1, 2, 3, 0,
    ]);
  });
});

describe('a single line of 2 GB', () => {
  /** Pushes up to `total` characters of one endless line in 64 Ki chunks; returns how many went in. */
  function feed(reader: TableReader, total: number, head: string): { pushed: number; error: unknown } {
    const chunk = 'y'.repeat(64 * 1024);
    let pushed = 0;
    try {
      reader.push(head);
      while (pushed < total) {
        reader.push(chunk);
        pushed += chunk.length;
      }
      reader.end();
    } catch (error) {
      return { pushed, error };
    }
    return { pushed, error: null };
  }

  const sink = { header: () => undefined, row: () => undefined };
  const TWO_GB = 2 * 1024 ** 3;

  it.each([
    ['CSV', () => csvReader(sink, ','), 'a\n'],
    ['CSV inside an open quote', () => csvReader(sink, ','), 'a\n"'],
    ['TSV', () => csvReader(sink, '\t'), ''],
    ['JSON Lines', () => jsonlReader(sink), '{"a":"'],
  ])('%s: refused after reading about the row bound, not the 2 GB', (_name, reader, head) => {
    const { pushed, error } = feed(reader(), TWO_GB, head);
    expect(String(error)).toMatch(new RegExp(`longer than ${MAX_ROW_CHARS} characters`));
    expect(pushed).toBeLessThanOrEqual(MAX_ROW_CHARS + 64 * 1024);
  });

  it('through the consumer and R2: a 16 MiB file without a newline fails with the reason', async () => {
    const bytes = new Uint8Array(16 * 1024 * 1024).fill(0x79);
    const { state } = await profiled(`t/${crypto.randomUUID()}/one-line.csv`, bytes);
    expect(state).toEqual({
      state: 'failed',
      reason: `a row is longer than ${MAX_ROW_CHARS} characters (row 1)`,
    });
  });
});
