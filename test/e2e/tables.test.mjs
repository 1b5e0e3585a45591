/**
 * Table diffs end to end, against the real `npm start` server (wrangler dev: Miniflare runs the
 * cairn-profiles Queue and this Worker's consumer): `cairn push --key id` two versions of a
 * dataset with a CSV and a broken CSV, then `cairn diff` until the table is profiled: pending
 * (or already ready) → ready with rows added/removed/changed, the new column and the null shift;
 * the broken file says why and the publish of it succeeded.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { expectOk, startCliRegistry } from '../cli/registry.mjs';

let registry;
const T = 180_000;

before(async () => {
  registry = await startCliRegistry();
});
after(async () => {
  await registry?.stop();
});

function dataset(dir, rows, header) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.csv'), `${[header, ...rows].join('\n')}\n`);
  writeFileSync(join(dir, 'broken.csv'), dir.endsWith('2') ? 'id,b\n1,"open\n' : 'id,b\n1,2\n');
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
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = expectOk(await registry.cli(['diff', 'acme/tables@1', 'acme/tables@2', '--json']), 'diff');
    table = r.json.files.modified.find((m) => m.path === 'train.csv').table;
    states.push(table.state);
    if (table.state !== 'pending' || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
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
});
