/**
 * Table profiles computed by the real queue consumer over real D1 and R2: parsing (RFC 4180
 * corners), statistics against fixtures with known properties, bad input → failed with a reason,
 * and idempotence under redelivery.
 */
import { describe, expect, it } from 'vitest';
import type { TableProfile } from '../../src/contract/tables';
import { sweepProfiles } from '../../src/services/tables/queue';
import { csvReader, jsonlReader, MAX_ROW_CHARS } from '../../src/services/tables/reader';
import { readIndex } from '../../src/services/tables/store';
import { testDeps, testEnv } from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';
import { deliver, profiled, storedText } from '../helpers/tables';

function parse(text: string, chunk = 3, delim: ',' | '\t' = ',') {
  const out: { header: string[]; rows: (string | null)[][] } = { header: [], rows: [] };
  const r = csvReader({ header: (h) => (out.header = h), row: (v) => out.rows.push(v) }, delim);
  for (let i = 0; i < text.length; i += chunk) r.push(text.slice(i, i + chunk));
  r.end();
  return out;
}

function ready(state: Awaited<ReturnType<typeof profiled>>['state']): TableProfile {
  if (state.state !== 'ready') throw new Error(`profile is ${JSON.stringify(state)}`);
  return state.profile;
}

describe('CSV reader', () => {
  it('reads quoted delimiters, doubled quotes, newlines inside quotes and CRLF, split anywhere', () => {
    const text = 'id,note\r\n1,"a, b"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n4,\r\n';
    for (const chunk of [1, 2, 3, 7, 1000]) {
      expect(parse(text, chunk)).toEqual({
        header: ['id', 'note'],
        rows: [
          ['1', 'a, b'],
          ['2', 'say "hi"'],
          ['3', 'two\r\nlines'],
          ['4', null],
        ],
      });
    }
  });

  it('reads TSV, unicode and a last row without a newline', () => {
    expect(parse('名前\tß\nÅsa\t😀', 2, '\t')).toEqual({ header: ['名前', 'ß'], rows: [['Åsa', '😀']] });
  });

  it('refuses ragged rows, broken quoting and rows longer than the limit', () => {
    expect(() => parse('a,b\n1,2,3\n')).toThrow(/row 2 has 3 fields; the header has 2/);
    expect(() => parse('a,b\n1,"open\n')).toThrow(/unterminated quoted field/);
    expect(() => parse('a,b\n"x"y,2\n')).toThrow(/quoted field is followed by/);
    expect(() => parse(`a\n${'x'.repeat(MAX_ROW_CHARS + 10)}`, 65536)).toThrow(/longer than/);
  });

  it('JSON Lines: columns in first-seen order, earlier rows empty in a late column', () => {
    const rows: (string | null)[][] = [];
    let header: string[] = [];
    const r = jsonlReader({ header: (h) => (header = h), row: (v) => rows.push(v) });
    r.push('{"a":1,"b":"x"}\n{"a":2,');
    r.push('"c":true}\n');
    r.end();
    expect(header).toEqual(['a', 'b', 'c']);
    expect(rows).toEqual([
      ['1', 'x'],
      ['2', null, 'true'],
    ]);
  });
});

describe('profiles through the queue consumer', () => {
  it('statistics match a generated fixture with known nulls, mean, std and top values', async () => {
    const lines = ['id,age,city,flag'];
    // age: 1..1000 except every 10th row empty → 100 nulls, mean of the rest known exactly.
    const ages: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      const age = i % 10 === 0 ? '' : String(i);
      if (age) ages.push(i);
      lines.push(`${i},${age},${i % 4 === 0 ? 'Oslo' : 'Lima'},${i % 2 === 0}`);
    }
    const { state } = await profiled(`t/${crypto.randomUUID()}.csv`, `${lines.join('\n')}\n`);
    const p = ready(state);
    const mean = ages.reduce((a, b) => a + b, 0) / ages.length;
    const std = Math.sqrt(ages.reduce((a, b) => a + (b - mean) ** 2, 0) / (ages.length - 1));
    expect(p.rows).toBe(1000);
    const [id, age, city, flag] = p.columns;
    expect(id).toMatchObject({ name: 'id', type: 'integer', nulls: 0, min: 1, max: 1000 });
    expect(Math.abs(id!.distinct - 1000) / 1000).toBeLessThan(0.05);
    expect(age).toMatchObject({ type: 'integer', nulls: 100, min: 1, max: 999 });
    expect(age!.mean).toBeCloseTo(mean, 9);
    expect(age!.std).toBeCloseTo(std, 9);
    expect(age!.quantiles).toHaveLength(101);
    expect(city).toMatchObject({
      type: 'string',
      distinct: 2,
      top: [
        { value: 'Lima', count: 750 },
        { value: 'Oslo', count: 250 },
      ],
    });
    expect(flag!.type).toBe('boolean');
  });

  it('a JSON Lines file with a key: profile and a keyed row index', async () => {
    const text = '{"id":1,"v":0.5}\n{"id":2,"v":1.5}\n{"id":3}\n';
    const { digest, state } = await profiled(`t/${crypto.randomUUID()}.jsonl`, text, ['id']);
    const p = ready(state);
    expect(p.columns.map((c) => [c.name, c.type, c.nulls])).toEqual([
      ['id', 'integer', 0],
      ['v', 'number', 1],
    ]);
    const index = await readIndex(testDeps(), digest, '["id"]');
    expect(index).toMatchObject({ rows: 3, columns: 2, keyed: true });
    expect(index!.cells).toHaveLength(3 * 4);
  });

  it.each([
    ['ragged rows', 'bad.csv', 'a,b\n1,2\n3\n', /row 3 has 1 fields/],
    ['broken quoting', 'bad.csv', 'a,b\n1,"x\n', /unterminated quoted field/],
    [
      'a binary file named .csv',
      'model.csv',
      new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 9, 0xff, 0xfe]),
      /binary content/,
    ],
    ['invalid UTF-8', 'latin.csv', new Uint8Array([0x61, 0x0a, 0xe9, 0x0a]), /not UTF-8/],
    ['a single line longer than the limit', 'long.csv', `a\n${'y'.repeat(MAX_ROW_CHARS + 1)}`, /longer than/],
    ['a key column not in the header', 'k.csv', 'a,b\n1,2\n', /key column "id" is not in the header/],
    ['a JSON Lines line that is not an object', 'x.jsonl', '{"a":1}\n[1]\n', /line 2 is not a JSON object/],
  ])('%s → failed, with the reason', async (_name, file, text, reason) => {
    const key = file === 'k.csv' ? ['id'] : null;
    const { state } = await profiled(`t/${crypto.randomUUID()}/${file}`, text, key);
    expect(state.state).toBe('failed');
    expect(state.state === 'failed' && state.reason).toMatch(reason);
  });

  it('redelivery is idempotent: a ready profile is not recomputed; every message is acked', async () => {
    const text = `x\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\n`;
    const path = `t/${crypto.randomUUID()}.csv`;
    const digest = await storedText(text);
    const first = await deliver([
      { digest, path, key: null },
      { digest, path, key: null },
    ]);
    expect(first.explicitAcks).toHaveLength(2);
    const again = await deliver([{ digest, path, key: null }], 2);
    expect(again.explicitAcks).toHaveLength(1);
    expect(again.retryMessages).toHaveLength(0);
    const index = await readIndex(testDeps(), digest, '');
    expect(index?.rows).toBe(50);
  });

  it('header-only and empty files are ready with 0 rows', async () => {
    expect(ready((await profiled(`t/${crypto.randomUUID()}.csv`, 'a,b\n')).state)).toMatchObject({ rows: 0 });
    expect(ready((await profiled(`t/${crypto.randomUUID()}.csv`, '')).state)).toMatchObject({
      rows: 0,
      columns: [],
    });
  });

  it('the cron sweep enqueues versions never enqueued, and re-sends profiles stuck pending', async () => {
    const file = await storedFile(`sweep-${crypto.randomUUID()}.csv`, `a\n${crypto.randomUUID()}\n`);
    const v = await publishOk(uniqueName('acme', 'sweep'), { files: [file] });
    const db = testEnv.DB;
    // As if the publish's hand-over to the queue had been lost.
    await db
      .prepare(
        'DELETE FROM table_profile_sweeps WHERE version_id = (SELECT id FROM versions WHERE digest = ?)',
      )
      .bind(v.digest)
      .run();
    await db.prepare('DELETE FROM table_profiles WHERE digest = ?').bind(file.digest).run();
    const queue = testEnv.PROFILES as Queue<never>;
    const first = await sweepProfiles(testDeps(), queue, 1000);
    expect(first.versions).toBeGreaterThanOrEqual(1);
    const row = await db
      .prepare('SELECT state, updated_at FROM table_profiles WHERE digest = ?')
      .bind(file.digest)
      .first<{ state: string }>();
    expect(row?.state).toMatch(/pending|ready/);
    expect((await sweepProfiles(testDeps(), queue, 1000)).versions).toBe(0);
    // Stuck: pending for longer than 15 minutes → sent again, its clock restarted.
    await db
      .prepare("UPDATE table_profiles SET state = 'pending', updated_at = 0 WHERE digest = ?")
      .bind(file.digest)
      .run();
    const later = await sweepProfiles(testDeps(), queue, 1000);
    expect(later.resent).toBeGreaterThanOrEqual(1);
    const bumped = await db
      .prepare('SELECT updated_at FROM table_profiles WHERE digest = ?')
      .bind(file.digest)
      .first<{ updated_at: number }>();
    expect(bumped!.updated_at).toBeGreaterThan(0);
  });
});
