/**
 * GET /v1/diff and explain on tabular files: pending until the queue consumer has profiled both
 * sides, then rows, schema, per-column nulls, drift and sample rows; a file that cannot be
 * profiled says why without touching the publish or the other files' diffs.
 */
import { describe, expect, it } from 'vitest';
import type { FileChange, VersionDiff } from '../../src/contract/diff';
import type { TableDiff } from '../../src/contract/tables';
import { call } from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';
import { drainProfiles } from '../helpers/tables';

async function diff(from: string, to: string): Promise<VersionDiff> {
  const res = await call(`/v1/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  if (res.status !== 200) throw new Error(`diff ${res.status}: ${await res.text()}`);
  return (await res.json()) as VersionDiff;
}

const csv = (rows: (string | number)[][]) => `${rows.map((r) => r.join(',')).join('\n')}\n`;

function ready(t: TableDiff | undefined): Extract<TableDiff, { state: 'ready' }> {
  if (t?.state !== 'ready') throw new Error(`table diff is ${JSON.stringify(t)}`);
  return t;
}

/** A dataset in two versions (files keyed or not), and a model trained on each. */
async function scenario(files: { path: string; a: string; b: string; key?: string[] }[]) {
  const data = uniqueName('acme', 'data');
  const model = uniqueName('acme', 'model');
  for (const side of ['a', 'b'] as const) {
    const entries = await Promise.all(
      files.map(async (f) => ({
        ...(await storedFile(f.path, f[side])),
        ...(f.key ? { table: { key: f.key } } : {}),
      })),
    );
    const d = await publishOk(data, { kind: 'dataset', files: entries });
    await publishOk(model, {
      kind: 'model',
      files: [await storedFile('model.bin')],
      inputs: [{ ref: `${data}@${d.version}`, role: 'train' }],
    });
  }
  return { data, model };
}

const modified = (d: VersionDiff, path: string): FileChange =>
  d.data.inputs[0]!.files!.modified.find((m) => m.path === path)!;

describe('table keys on manifest file entries', () => {
  it('a declared key is part of the manifest (and of its digest); a bad key → 400, nothing stored', async () => {
    const name = uniqueName('acme', 'keys');
    const file = await storedFile('a.csv', 'id,v\n1,2\n');
    const keyed = await publishOk(name, { files: [{ ...file, table: { key: ['id'] } }] });
    const plain = await publishOk(name, { files: [file] });
    expect(keyed.digest).not.toBe(plain.digest);
    const detail = (await (await call(`/v1/artifacts/${name}/versions/${keyed.version}`)).json()) as {
      manifest: { files: unknown[] };
    };
    expect(detail.manifest.files).toEqual([{ ...file, table: { key: ['id'] } }]);
    for (const table of [{ key: [] }, { key: ['id', 'id'] }, { key: ['id'], extra: 1 }]) {
      const res = await call(`/v1/artifacts/${name}/versions`, {
        method: 'POST',
        json: { files: [{ ...file, table }] },
      });
      expect(res.status).toBe(400);
    }
    const list = (await (await call(`/v1/artifacts/${name}/versions`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(2);
  });
});

describe('GET /v1/diff: tabular files', () => {
  it('keyed CSV: pending, then rows added/removed/changed, schema, nulls drift and samples', async () => {
    const before = [['id', 'age', 'city']];
    const after = [['id', 'age', 'city', 'region']];
    for (let i = 1; i <= 200; i++) before.push([String(i), String(20 + (i % 50)), i % 2 ? 'Oslo' : 'Lima']);
    // Rows 1-10 removed, 201-215 added, 11-40 get an empty age (15% empty: a planted shift).
    for (let i = 11; i <= 215; i++) {
      const age = i <= 40 ? '' : String(20 + (i % 50));
      after.push([String(i), age, i % 2 ? 'Oslo' : 'Lima', 'north']);
    }
    const { model } = await scenario([{ path: 'train.csv', a: csv(before), b: csv(after), key: ['id'] }]);
    const first = await diff(`${model}@1`, `${model}@2`);
    expect(first.changed).toContain('data');
    const t0 = modified(first, 'train.csv').table;
    expect(t0?.state === 'pending' || t0?.state === 'ready').toBe(true);

    await drainProfiles();
    const d = await diff(`${model}@1`, `${model}@2`);
    const t = ready(modified(d, 'train.csv').table);
    expect(t.key).toEqual(['id']);
    expect(modified(d, 'train.csv').to.table).toEqual({ key: ['id'] });
    expect(t.rows).toEqual({ from: 200, to: 205, added: 15, removed: 10, changed: 30 });
    expect(t.schema).toEqual({ added: [{ name: 'region', type: 'string' }], removed: [], typeChanged: [] });
    const age = t.columns.find((c) => c.name === 'age')!;
    expect(age.changedRows).toBe(30);
    expect(age.nulls.from).toBe(0);
    expect(age.nulls.to).toBeCloseTo(30 / 205, 9);
    expect(age.drift?.level).toBe('major');
    expect(t.columns.find((c) => c.name === 'city')!).toMatchObject({
      changedRows: 0,
      drift: { level: 'none' },
    });
    const changed = t.samples.filter((s) => s.kind === 'changed');
    expect(changed[0]).toEqual({
      kind: 'changed',
      key: { id: '11' },
      changes: [{ column: 'age', from: '31', to: null }],
      values: null,
    });
    expect(t.samples.find((s) => s.kind === 'added')?.values).toEqual({
      id: '201',
      age: '21',
      city: 'Oslo',
      region: 'north',
    });
    expect(d.data.summary).toMatch(
      /train\.csv: \+15\/−10 rows, 30 changed; new column region; age nulls 0% → 15% \(major\)/,
    );
  });

  it('unkeyed: rows are multisets (reordering is no change; a duplicate is one added row); no "changed"', async () => {
    const a = csv([
      ['x', 'y'],
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    const b = csv([
      ['x', 'y'],
      [3, 'c'],
      [1, 'a'],
      [2, 'b'],
      [2, 'b'],
      [4, 'd'],
    ]);
    const { model } = await scenario([{ path: 'rows.csv', a, b }]);
    await diff(`${model}@1`, `${model}@2`);
    await drainProfiles();
    const t = ready(modified(await diff(`${model}@1`, `${model}@2`), 'rows.csv').table);
    expect(t.rows).toEqual({ from: 3, to: 5, added: 2, removed: 0, changed: null });
    expect(t.columns.every((c) => c.changedRows === null)).toBe(true);
  });

  it('a planted distribution shift is major drift; the same distribution is none', async () => {
    const gen = (shift: number) =>
      csv([
        ['v', 'w'],
        ...Array.from({ length: 2000 }, (_, i) => [((i * 7919) % 1000) + shift, (i * 31) % 1000]),
      ]);
    const { model } = await scenario([{ path: 'shift.csv', a: gen(0), b: gen(400) }]);
    await diff(`${model}@1`, `${model}@2`);
    await drainProfiles();
    const t = ready(modified(await diff(`${model}@1`, `${model}@2`), 'shift.csv').table);
    expect(t.columns.find((c) => c.name === 'v')!.drift?.level).toBe('major');
    expect(t.columns.find((c) => c.name === 'w')!.drift).toMatchObject({ level: 'none', value: 0 });
    expect(t.columns.find((c) => c.name === 'v')!.stats.to.mean).toBeCloseTo(
      t.columns[0]!.stats.from.mean! + 400,
      6,
    );
  });

  it('a file that cannot be profiled says why; the other file of the same diff is unaffected', async () => {
    const good = (n: number) => csv([['k'], ...Array.from({ length: n }, (_, i) => [i])]);
    const { model } = await scenario([
      { path: 'good.csv', a: good(3), b: good(4) },
      { path: 'broken.csv', a: 'a,b\n1,2\n', b: 'a,b\n1,"2\n' },
    ]);
    await diff(`${model}@1`, `${model}@2`);
    await drainProfiles();
    const d = await diff(`${model}@1`, `${model}@2`);
    expect(modified(d, 'broken.csv').table).toEqual({
      state: 'failed',
      side: 'to',
      reason: expect.stringMatching(/unterminated/),
    });
    expect(ready(modified(d, 'good.csv').table).rows).toMatchObject({ added: 1, removed: 0 });
    expect(d.data.summary).toMatch(/broken\.csv: not profiled/);
  });

  it('explain carries the same table diff and summary', async () => {
    const data = uniqueName('acme', 'data');
    for (const n of [2, 5]) {
      await publishOk(data, {
        kind: 'dataset',
        files: [
          await storedFile('t.tsv', `a\tb\n${Array.from({ length: n }, (_, i) => `${i}\tx`).join('\n')}\n`),
        ],
        tags: ['production'],
      });
    }
    await call(`/v1/artifacts/${data}/tags/production/explain`);
    await drainProfiles();
    const res = await call(`/v1/artifacts/${data}/tags/production/explain`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as VersionDiff;
    expect(ready(body.files.modified[0]!.table).rows).toEqual({
      from: 2,
      to: 5,
      added: 3,
      removed: 0,
      changed: null,
    });
  });

  it('the diff page (explain shares its view) draws it: schema change, rows, drift with SVG histograms, samples; no inline style', async () => {
    const a = csv([['id', 'v'], ...Array.from({ length: 40 }, (_, i) => [i, i % 10])]);
    const b = csv([
      ['id', 'v', 'extra'],
      ...Array.from({ length: 40 }, (_, i) => [i + 2, (i % 10) + 6, 'x']),
    ]);
    const { model } = await scenario([{ path: 'ui.csv', a, b, key: ['id'] }]);
    const page = async () => {
      const res = await call(`/ui/diff?from=${model}@1&to=${model}@2`);
      expect(res.status).toBe(200);
      return res.text();
    };
    expect(await page()).toContain('Profile pending');
    await drainProfiles();
    const body = await page();
    expect(body).toContain('new column extra (string)');
    expect(body).toMatch(/Rows 40 → 40: \+2 \/ −2, 38 changed \(key id\)/);
    expect(body).toMatch(/<svg class="hist"[^>]*aria-label="v: before and after"/);
    expect(body).toContain('class="bar-to"');
    expect(body).toContain('(major)');
    expect(body).toMatch(/changed<\/td><td><code>2<\/code><\/td><td><code>v: 2 → 6<\/code>/);
    expect(body).not.toMatch(/style="/);
    expect(body).toContain('class="data-summary"');
  });
});
