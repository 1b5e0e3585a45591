/**
 * The oracle: daff (an independent table-diff library) diffs the same fixture pairs, and Cairn's
 * added/removed/changed counts must equal its counts. Keyed fixtures give daff the same key;
 * unkeyed fixtures give it every common column as the key, which is the multiset difference
 * Cairn computes without a key. Cairn's side runs for real: blobs in R2, the queue consumer,
 * profiles and row indexes in D1, then diffTable.
 */
import { describe, expect, it } from 'vitest';
import type { Digest } from '../../src/contract/grammar';
import { diffTable } from '../../src/services/tables/diff';
import DAFF from '../fixtures/tables/daff-counts.json';
import { PAIRS, type TablePair as Pair } from '../fixtures/tables/pairs.mjs';
import { testDeps } from '../helpers/http';
import { deliver, storedText } from '../helpers/tables';

async function cairnCounts(p: Pair) {
  const path = p.path ?? 'data.csv';
  const [da, db] = await Promise.all([storedText(p.a), storedText(p.b)]);
  const key = p.key ?? null;
  await deliver([
    { digest: da, path, key },
    { digest: db, path, key },
  ]);
  const table = p.key ? { table: { key: p.key } } : {};
  const t = await diffTable(
    testDeps(),
    path,
    { digest: da as Digest, size: p.a.length, ...table },
    { digest: db as Digest, size: p.b.length, ...table },
  );
  if (t?.state !== 'ready') throw new Error(`${p.name}: ${JSON.stringify(t)}`);
  const { added, removed, changed } = t.rows;
  return { added, removed, changed };
}

describe('row counts equal daff’s on every fixture pair', () => {
  it('has at least 20 pairs', () => expect(PAIRS.length).toBeGreaterThanOrEqual(20));
  it.each(PAIRS)('$name', async (p) => {
    expect(await cairnCounts(p)).toEqual((DAFF as Record<string, unknown>)[p.name]);
  });
});
