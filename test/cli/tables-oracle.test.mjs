// daff-counts.json (read by the workerd oracle test) is exactly what the daff package computes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { counts } from '../fixtures/tables/daff-counts.mjs';

test('daff-counts.json holds daff’s own counts for every fixture pair', () => {
  const stored = JSON.parse(
    readFileSync(new URL('../fixtures/tables/daff-counts.json', import.meta.url), 'utf8'),
  );
  assert.deepEqual(stored, counts());
});
