/**
 * Parquet profiles through the real queue consumer over real D1 and R2: types from the schema,
 * statistics against known data, several row groups, codecs; a CSV and the same data as Parquet
 * diff alike; bad Parquet (not Parquet, truncated, a corrupt footer or data page) fails with a
 * reason while the publish and the other files' diffs are unaffected.
 * Fixtures are written here with hyparquet-writer (a library we did not write the reader of).
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import type { VersionDiff } from '../../src/contract/diff';
import type { Digest } from '../../src/contract/grammar';
import type { TableDiff, TableProfile } from '../../src/contract/tables';
import {
  cellText,
  MAX_FOOTER_BYTES,
  MAX_GROUP_BYTES,
  openParquet,
  parquetRows,
} from '../../src/services/tables/parquet';
import { readIndex } from '../../src/services/tables/store';
import { call, testDeps } from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';
import { drainProfiles, profiled } from '../helpers/tables';

type Column = Parameters<typeof parquetWriteBuffer>[0]['columnData'][number];

const parquet = (
  columnData: Column[],
  options: { rowGroupSize?: number; codec?: 'SNAPPY' | 'UNCOMPRESSED' } = {},
) => new Uint8Array(parquetWriteBuffer({ columnData, ...options }));

function ready(state: Awaited<ReturnType<typeof profiled>>['state']): TableProfile {
  if (state.state !== 'ready') throw new Error(`profile is ${JSON.stringify(state)}`);
  return state.profile;
}

/**
 * Written in node by hyparquet-writer with `codec: 'GZIP'` / `'BROTLI'` and zlib's gzipSync /
 * brotliCompressSync (workerd has neither synchronously): id 1, 2, 3; city Oslo, Lima, null.
 */
const GZIP_FIXTURE =
  'UEFSMRUGFRwVRFwVBhUAFQYVABUEFQAAAAMHH4sIAAAAAAAAA2NkYGBgYmBgYGZgYAAAkyLgsAwAAAAVBhUkFUxcFQYVAhUGFQAVBBUAAAADAx+LCAAAAAAAAANjYWBg8C/OyWdhYGDwycxNBADe7NStEAAAABUEGTxIBHJvb3QVBAAVAiUCGAJpZAAVDCUCGARjaXR5JQAAFgYZHBksJggcFQIZFQAZGAJpZBUEFgYWRhZuJgg8NgAoBAMAAAAYBAEAAAAAGRwVBhUAFQIAAAAmdhwVDBkVABkYBGNpdHkVBBYGFk4WdiZ2PDYCKARPc2xvGARMaW1hABkcFQYVABUCAAAAFpQBFgY25AEAKAloeXBhcnF1ZXQZLBwAABwAAACsAAAAUEFSMQ==';
const BROTLI_FIXTURE =
  'UEFSMRUGFRwVJFwVBhUAFQYVABUEFQAAAAMHGwsA+KcBAgQGVgqiBADCHhUGFSQVLFwVBhUCFQYVABUEFQAAAAMDiweABAAAAE9zbG8EAAAATGltYQMVBBk8SARyb290FQQAFQIlAhgCaWQAFQwlAhgEY2l0eSUAABYGGRwZLCYIHBUCGRUAGRgCaWQVCBYGFkYWTiYIPDYAKAQDAAAAGAQBAAAAABkcFQYVABUCAAAAJlYcFQwZFQAZGARjaXR5FQgWBhZOFlYmVjw2AigET3NsbxgETGltYQAZHBUGFQAVAgAAABaUARYGNqQBACgJaHlwYXJxdWV0GSwcAAAcAAAArAAAAFBBUjE=';
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

describe('Parquet profiles', () => {
  it('types from the schema; nulls, mean, std, top values over several row groups match the data', async () => {
    const n = 2500;
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    const ages = ids.map((i) => (i % 10 === 0 ? null : i));
    const cities = ids.map((i) => (i % 4 === 0 ? 'Oslo' : 'Lima'));
    const bytes = parquet(
      [
        { name: 'id', data: ids.map(BigInt), type: 'INT64' },
        { name: 'age', data: ages, type: 'INT32' },
        { name: 'score', data: ids.map((i) => i / 4), type: 'DOUBLE' },
        { name: 'city', data: cities, type: 'STRING' },
        { name: 'flag', data: ids.map((i) => i % 2 === 0), type: 'BOOLEAN' },
        { name: 'at', data: ids.map((i) => new Date(Date.UTC(2026, 0, 1) + i * 1000)), type: 'TIMESTAMP' },
        { name: 'none', data: ids.map(() => null), type: 'DOUBLE' },
      ],
      { rowGroupSize: 1000 },
    );
    const { digest, state } = await profiled(`t/${crypto.randomUUID()}.parquet`, bytes, ['id']);
    const p = ready(state);
    const present = ages.filter((a): a is number => a !== null);
    const mean = present.reduce((a, b) => a + b, 0) / present.length;
    const std = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / (present.length - 1));
    expect(p.format).toBe('parquet');
    expect(p.rows).toBe(n);
    expect(p.columns.map((c) => [c.name, c.type, c.nulls])).toEqual([
      ['id', 'integer', 0],
      ['age', 'integer', 250],
      ['score', 'number', 0],
      ['city', 'string', 0],
      ['flag', 'boolean', 0],
      ['at', 'string', 0],
      ['none', 'number', n],
    ]);
    const [id, age, score, city, , at, none] = p.columns;
    // Declared DOUBLE, every value null: no statistics rather than zeros.
    expect(none).toMatchObject({ min: null, max: null, mean: null, std: null, quantiles: [] });
    expect(id).toMatchObject({ min: 1, max: n });
    expect(age).toMatchObject({ min: 1, max: 2499 });
    expect(age!.mean).toBeCloseTo(mean, 9);
    expect(age!.std).toBeCloseTo(std, 9);
    expect(score).toMatchObject({ min: 0.25, max: 625 });
    expect(city!.top).toEqual([
      { value: 'Lima', count: 1875 },
      { value: 'Oslo', count: 625 },
    ]);
    expect(at).toMatchObject({ min: '2026-01-01T00:00:01.000Z', max: '2026-01-01T00:41:40.000Z' });
    const index = await readIndex(testDeps(), digest, '["id"]');
    expect(index).toMatchObject({ rows: n, columns: 7, keyed: true });
  });

  it('reads uncompressed, snappy, gzip and brotli column chunks', async () => {
    const columns: Column[] = [
      { name: 'id', data: [1, 2, 3], type: 'INT32' },
      { name: 'city', data: ['Oslo', 'Lima', null], type: 'STRING' },
    ];
    const profiles = [];
    const files = [
      parquet(columns, { codec: 'UNCOMPRESSED' }),
      parquet(columns),
      fromBase64(GZIP_FIXTURE),
      fromBase64(BROTLI_FIXTURE),
    ];
    for (const bytes of files) {
      profiles.push(ready((await profiled(`t/${crypto.randomUUID()}.parquet`, bytes)).state));
    }
    expect(profiles[0]).toMatchObject({
      rows: 3,
      columns: [
        { name: 'id', max: 3 },
        { name: 'city', nulls: 1 },
      ],
    });
    expect(profiles[1]).toEqual(profiles[0]);
    expect(profiles[2]).toEqual(profiles[0]);
    expect(profiles[3]).toEqual(profiles[0]);
  });

  it('a row group above the limits, or a footer above its cap, is refused with the reason', async () => {
    const bytes = parquet([{ name: 'id', data: [1, 2, 3], type: 'INT32' }]);
    const digest = (await storedFile('t.parquet', bytes)).digest as Digest;
    const deps = testDeps();
    const read = async (f: Awaited<ReturnType<typeof openParquet>>) =>
      parquetRows(f, { header: () => undefined, row: () => undefined }, 0);
    // As pyarrow writes a wide table: one group of a million rows, far above 64 MiB uncompressed.
    const wide = await openParquet(deps, digest, bytes.length);
    wide.metadata.row_groups[0]!.total_byte_size = BigInt(MAX_GROUP_BYTES + 1);
    await expect(read(wide)).rejects.toThrow(/row group 0 .* above the limits of \d+ and \d+/);
    // A footer that claims more than the cap (and still fits the file): refused before it is read.
    const big = new Uint8Array(MAX_FOOTER_BYTES + 20);
    big.set([0x50, 0x41, 0x52, 0x31]);
    new DataView(big.buffer).setUint32(big.length - 8, MAX_FOOTER_BYTES + 1, true);
    big.set([0x50, 0x41, 0x52, 0x31], big.length - 4);
    const bigDigest = (await storedFile('big.parquet', big)).digest as Digest;
    await expect(openParquet(deps, bigDigest, big.length)).rejects.toThrow(
      /footer of \d+ bytes is above the limit/,
    );
  });

  it('values read as the text a CSV of the same data holds', () => {
    expect(
      [
        null,
        undefined,
        'a',
        7,
        0.1,
        12345678901234567890n,
        true,
        new Date(0),
        new Uint8Array([1, 2]),
        { a: 1n },
      ].map(cellText),
    ).toEqual([
      null,
      null,
      'a',
      '7',
      '0.1',
      '12345678901234567890',
      'true',
      '1970-01-01T00:00:00.000Z',
      'AQI=',
      '{"a":1}',
    ]);
  });
});

async function diff(from: string, to: string): Promise<VersionDiff> {
  const res = await call(`/v1/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  if (res.status !== 200) throw new Error(`diff ${res.status}: ${await res.text()}`);
  return (await res.json()) as VersionDiff;
}

/** Publishes two versions of a dataset; returns the table diff of every modified file. */
async function tableDiffs(
  files: { path: string; a: string | Uint8Array; b: string | Uint8Array; key?: string[] }[],
) {
  const name = uniqueName('acme', 'pq');
  const versions: number[] = [];
  for (const side of ['a', 'b'] as const) {
    const entries = await Promise.all(
      files.map(async (f) => ({
        ...(await storedFile(f.path, f[side])),
        ...(f.key ? { table: { key: f.key } } : {}),
      })),
    );
    versions.push((await publishOk(name, { kind: 'dataset', files: entries })).version);
  }
  // The first diff asks for the profiles the publishes' hand-over has not yet created.
  await diff(`${name}@${versions[0]}`, `${name}@${versions[1]}`);
  await drainProfiles();
  const d = await diff(`${name}@${versions[0]}`, `${name}@${versions[1]}`);
  return new Map(d.files.modified.map((m) => [m.path, m.table as TableDiff | undefined]));
}

interface Data {
  id: number[];
  score: number[];
  city: (string | null)[];
  flag: boolean[];
  region?: string[];
}

const csvOf = (d: Data) =>
  [
    ['id', 'score', 'city', 'flag', ...(d.region ? ['region'] : [])].join(','),
    ...d.id.map((id, i) =>
      [id, d.score[i], d.city[i] ?? '', d.flag[i], ...(d.region ? [d.region[i]] : [])].join(','),
    ),
  ].join('\n');

const parquetOf = (d: Data) =>
  parquet(
    [
      { name: 'id', data: d.id, type: 'INT32' },
      { name: 'score', data: d.score, type: 'DOUBLE' },
      { name: 'city', data: d.city, type: 'STRING' },
      { name: 'flag', data: d.flag, type: 'BOOLEAN' },
      ...(d.region ? [{ name: 'region', data: d.region, type: 'STRING' } as Column] : []),
    ],
    { rowGroupSize: 300 },
  );

describe('Parquet diffs', () => {
  it('the same data as CSV and as Parquet: the table diffs are equal', async () => {
    const cities = ['Oslo', 'Lima', 'Pune', null];
    const a: Data = { id: [], score: [], city: [], flag: [] };
    for (let i = 1; i <= 1000; i++) {
      a.id.push(i);
      a.score.push((i % 97) / 8 + 0.5);
      a.city.push(cities[i % 4]!);
      a.flag.push(i % 3 === 0);
    }
    // b: rows 1-50 dropped, 1001-1080 added, every 7th score shifted, a new column.
    const b: Data = { id: [], score: [], city: [], flag: [], region: [] };
    for (let i = 51; i <= 1080; i++) {
      b.id.push(i);
      b.score.push(i % 7 === 0 ? (i % 97) / 2 + 10.25 : (i % 97) / 8 + 0.5);
      b.city.push(i % 5 === 0 ? null : cities[i % 4]!);
      b.flag.push(i % 3 === 0);
      b.region!.push(i % 2 ? 'north' : 'south');
    }
    const tables = await tableDiffs([
      { path: 'train.csv', a: csvOf(a), b: csvOf(b), key: ['id'] },
      { path: 'train.parquet', a: parquetOf(a), b: parquetOf(b), key: ['id'] },
    ]);
    const fromCsv = tables.get('train.csv');
    const fromParquet = tables.get('train.parquet');
    expect(fromCsv?.state).toBe('ready');
    expect(fromParquet).toEqual(fromCsv);
    expect(fromParquet).toMatchObject({
      rows: { from: 1000, to: 1030, added: 80, removed: 50 },
      schema: { added: [{ name: 'region', type: 'string' }] },
    });
    const t = fromParquet as Extract<TableDiff, { state: 'ready' }>;
    expect(t.rows.changed).toBeGreaterThan(100);
    expect(t.samples.map((s) => s.kind)).toEqual(expect.arrayContaining(['added', 'removed', 'changed']));
    expect(t.columns.find((c) => c.name === 'score')?.drift?.level).not.toBe('none');
  });

  const good = parquet([
    { name: 'id', data: [1, 2, 3, 4], type: 'INT32' },
    { name: 'v', data: ['a', 'b', 'c', 'd'], type: 'STRING' },
  ]);
  const footerLength = new DataView(good.buffer).getUint32(good.length - 8, true);
  const edit = (f: (b: Uint8Array) => void) => {
    const b = good.slice();
    f(b);
    return b;
  };
  const bad: [string, Uint8Array | string, RegExp][] = [
    ['empty', new Uint8Array(0), /shorter than the smallest/],
    ['CSV text named .parquet', 'id,v\n1,a\n2,b\n3,c\n', /does not start with PAR1/],
    ['truncated', good.slice(0, good.length - 20), /does not end with PAR1|corrupt Parquet footer/],
    [
      'a footer longer than the file',
      edit((b) => new DataView(b.buffer).setUint32(b.length - 8, 1 << 30, true)),
      /claims 1073741824 bytes/,
    ],
    [
      'a corrupt footer',
      edit((b) => b.fill(0xff, b.length - 8 - footerLength, b.length - 8)),
      /corrupt Parquet (footer|schema)/,
    ],
    ['a corrupt data page', edit((b) => b.fill(0xff, 4, 40)), /corrupt Parquet row group 0/],
  ];

  it.each(bad)('%s → failed, with the reason', async (_name, bytes, reason) => {
    const { state } = await profiled(`t/${crypto.randomUUID()}/bad.parquet`, bytes);
    expect(state.state).toBe('failed');
    expect(state.state === 'failed' && state.reason).toMatch(reason);
  });

  it('a corrupt Parquet file in a version: publish answers, its diff says why, the other file diffs', async () => {
    const broken = edit((b) => b.fill(0xff, b.length - 8 - footerLength, b.length - 8));
    const tables = await tableDiffs([
      { path: 'ok.parquet', a: good, b: parquet([{ name: 'id', data: [1, 2, 5], type: 'INT32' }]) },
      { path: 'bad.parquet', a: good, b: broken },
    ]);
    expect(tables.get('bad.parquet')).toMatchObject({ state: 'failed', side: 'to' });
    expect(tables.get('ok.parquet')).toMatchObject({
      state: 'ready',
      rows: { from: 4, to: 3 },
      schema: { removed: [{ name: 'v', type: 'string' }] },
    });
  });
});
