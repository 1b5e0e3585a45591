/**
 * OpenAPI, end to end: the README recipe (section "OpenAPI") run verbatim with curl and node
 * against the real `npm start`: it fetches the document without a token, lists every operation
 * with its scope, and revalidates by ETag (304).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from './harness.mjs';
import { assertRan, runRecipe, shellBlockAfter } from './readme-recipes.mjs';

const RECIPE = shellBlockAfter('<!-- recipe:openapi');
const T = 120_000;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

describe('README recipe: OpenAPI', () => {
  test('fetches the document, lists the operations with their scopes, then gets a 304', {
    timeout: T,
  }, async () => {
    const run = await runRecipe(server, RECIPE, { timeout: T });
    assertRan(run, 'the openapi recipe');
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0], /^Cairn registry API v1 OpenAPI 3\.1\.\d+$/);
    assert.ok(
      lines.some((l) => /^GET {4}\/v1\/health · public · /.test(l)),
      run.stdout,
    );
    assert.ok(
      lines.some((l) => /^POST {3}\/v1\/admin\/gc · admin · /.test(l)),
      run.stdout,
    );
    assert.ok(
      lines.some((l) => /^PUT {4}\/v1\/artifacts\/\{ns\}\/\{name\}\/tags\/\{tag\} · any · /.test(l)),
      run.stdout,
    );
    assert.ok(lines.length > 30, run.stdout);
    assert.equal(lines.at(-1), '304');
  });
});
