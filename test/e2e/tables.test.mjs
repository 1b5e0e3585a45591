/**
 * Table diffs end to end, against the real `npm start` server (wrangler dev: Miniflare runs the
 * cairn-profiles Queue and this Worker's consumer): `cairn push --key id` two versions of a
 * dataset with a CSV and a broken CSV, then `cairn diff` until the table is profiled: pending
 * (or already ready) → ready with rows added/removed/changed, the new column and the null shift;
 * the broken file says why and the publish of it succeeded. The same rows as Parquet
 * (hyparquet-writer) diff exactly as the CSV does; a Parquet file with a corrupt footer says why.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { expectOk, startCliRegistry } from '../cli/registry.mjs';

let registry;
const T = 180_000;

before(async () => {
  registry = await startCliRegistry();
});
after(async () => {
  await registry?.stop();
});

/** The CSV rows as Parquet: integer columns as INT32 (an empty cell is null), the rest strings. */
function parquetOf(rows, header) {
  const names = header.split(',');
  const cells = rows.map((r) => r.split(','));
  const columnData = names.map((name, c) =>
    name === 'region'
      ? { name, data: cells.map((r) => r[c]), type: 'STRING' }
      : { name, data: cells.map((r) => (r[c] === '' ? null : Number(r[c]))), type: 'INT32' },
  );
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 40 }));
}

function dataset(dir, rows, header) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.csv'), `${[header, ...rows].join('\n')}\n`);
  writeFileSync(join(dir, 'broken.csv'), dir.endsWith('2') ? 'id,b\n1,"open\n' : 'id,b\n1,2\n');
  const pq = parquetOf(rows, header);
  writeFileSync(join(dir, 'train.parquet'), pq);
  // The second version's bad.parquet has its footer overwritten (the magic bytes kept).
  const footer = new DataView(pq.buffer).getUint32(pq.length - 8, true);
  if (dir.endsWith('2')) pq.fill(0xff, pq.length - 8 - footer, pq.length - 8);
  writeFileSync(join(dir, 'bad.parquet'), pq);
}

test('cairn push --key, then cairn diff: pending → ready, with rows, schema and a null shift', {
  timeout: T,
}, async () => {
  const work = registry.server.workDir;
  const v1 = Array.from({ length: 100 }, (_, i) => `${i + 1},${20 + (i % 30)}`);
  const v2 = Array.from({ length: 100 }, (_, i) => i + 6).map(
    (id) => `${id},${id <= 20 ? '' : 20 + ((id - 1) % 30)},eu`,
  );
  dataset(join(work, 'd1'), v1, 'id,age');
  dataset(join(work, 'd2'), v2, 'id,age,region');
  for (const d of ['d1', 'd2']) {
    expectOk(
      await registry.cli(['push', d, 'acme/tables', '--kind', 'dataset', '--key', 'id', '--code', 'none']),
      `push ${d}`,
    );
  }
  const states = [];
  let table;
  let tables;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = expectOk(await registry.cli(['diff', 'acme/tables@1', 'acme/tables@2', '--json']), 'diff');
    tables = Object.fromEntries(r.json.files.modified.map((m) => [m.path, m.table]));
    table = tables['train.csv'];
    states.push(table.state);
    const all = Object.values(tables).map((t) => t.state);
    if (!all.includes('pending') || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.deepEqual(tables['train.parquet'], table);
  assert.equal(tables['bad.parquet'].state, 'failed');
  assert.match(tables['bad.parquet'].reason, /corrupt Parquet (footer|schema)/);
  assert.deepEqual([...new Set(states)], states.includes('pending') ? ['pending', 'ready'] : ['ready']);
  assert.deepEqual(table.rows, { from: 100, to: 100, added: 5, removed: 5, changed: 15 });
  assert.deepEqual(table.schema.added, [{ name: 'region', type: 'string' }]);
  const age = table.columns.find((c) => c.name === 'age');
  assert.equal(age.nulls.to, 0.15);
  assert.equal(age.drift.level, 'major');

  const r = expectOk(await registry.cli(['diff', 'acme/tables@1', 'acme/tables@2']), 'diff (text)');
  assert.match(
    r.stdout,
    /~ train\.csv \(rows 100 → 100; \+5\/−5 rows, 15 changed; new column region; age nulls 0% → 15% \(major\)\)/,
  );
  assert.match(r.stdout, /~ broken\.csv \(table not profiled, to side: unterminated quoted field/);
  assert.match(
    r.stdout,
    /~ train\.parquet \(rows 100 → 100; \+5\/−5 rows, 15 changed; new column region; age nulls 0% → 15% \(major\)\)/,
  );
  assert.match(r.stdout, /~ bad\.parquet \(table not profiled, to side: corrupt Parquet/);
});
