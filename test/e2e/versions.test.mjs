/**
 * Versions, manifests and tags, end to end: the README's recipes run verbatim with bash against
 * the real `npm start` server, then the state they produced is checked through the API with curl.
 *   - recipe:train-model (publish a dataset and a model trained on it, twice, then read them
 *     back), and the same recipe again in a fresh directory: idempotent, no new versions;
 *   - the "Tags and promotion" recipe (production by compare-and-swap), then who may move
 *     `production` and `staging`;
 *   - a publish that names a blob never uploaded: 422 BLOB_UNKNOWN, no new version.
 * If a README recipe changes, this file runs the new text: keep its outcome (versions 1 and 2 of
 * acme/churn-data and acme/churn-model, production on model v2) or adjust the checks here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from './harness.mjs';
import {
  assertRan,
  jsonValues,
  runRecipe as runRecipeIn,
  shellBlockAfter,
  shellBlockStartingWith,
} from './readme-recipes.mjs';

/** Per-test timeout: a hung request or recipe fails the test instead of stalling CI. */
const T = 120_000;

/** What the recipe writes (kept in step with its printf lines; checked against the server). */
const CSV_V1 = 'age,plan,churned\n34,basic,0\n51,pro,1\n29,basic,0\n';
const CSV_V2 = `${CSV_V1}41,pro,1\n`;
const MODEL_V1 = 'model trained on 3 rows\n';
const MODEL_V2 = 'model trained on 4 rows\n';
const REQUIREMENTS = 'pandas==2.1.0\nscikit-learn==1.3.0\n';
const COMMIT = '3f2a9c41d5e8b7a6c0f1e2d3b4a5968778695a4b';
const PROMOTION_REASON = 'AUC 0.93 on holdout';

const TRAIN_MODEL = shellBlockAfter('<!-- recipe:train-model');
const PROMOTION = shellBlockStartingWith(
  'D=$(curl -sSf -H "Authorization: Bearer $TOKEN" "$CAIRN/v1/resolve/acme/churn-model@2"',
);

let server;

const runRecipe = (script) => runRecipeIn(server, script, { timeout: T });

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const json = (value) => ['-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(value)];
/** A test with a timeout that, when it fails, also prints the server log's tail. */
const it = (name, fn, timeout = T) => test(name, { timeout }, (t) => server.withLog(fn)(t));

async function get(path, opts) {
  const res = await server.curl([`${server.url}${path}`], opts);
  assert.equal(res.status, 200, `GET ${path}: ${res.status} ${res.body}`);
  return res;
}

const resolve = async (ref) => (await get(`/v1/resolve/${ref}`)).json;

async function versionNumbers(artifact) {
  const detail = (await get(`/v1/artifacts/${artifact}`)).json;
  const list = (await get(`/v1/artifacts/${artifact}/versions`)).json;
  assert.equal(detail.versionCount, list.items.length, `${artifact}: versionCount vs the list`);
  return list.items.map((v) => v.version);
}

function moveTag(artifact, tag, body, token) {
  return server.curl(['-X', 'PUT', ...json(body), `${server.url}/v1/artifacts/${artifact}/tags/${tag}`], {
    token,
  });
}

async function newToken(name, scopes) {
  const res = await server.curl(['-X', 'POST', ...json({ name, scopes }), `${server.url}/v1/tokens`]);
  assert.equal(res.status, 201, res.body);
  return res.json;
}

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

describe('README recipe: train a model on a CSV, track both', () => {
  /** The first run's publish answers: data v1, model v1, data v2, model v2. */
  let published;

  it('runs verbatim with bash -euo pipefail and prints what it made', async () => {
    const run = await runRecipe(TRAIN_MODEL);
    assertRan(run, 'the train-model recipe');

    // Every `api` call prints one JSON line; the last one is the CSV itself.
    const lines = run.stdout.split('\n');
    const values = lines.slice(0, 7).map((line, k) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new assert.AssertionError({
          message: `stdout line ${k + 1} is not JSON: ${line}\n--- stdout ---\n${run.stdout}`,
        });
      }
    });
    published = values.slice(0, 4);
    assert.deepEqual(
      published.map((p) => [p.artifact, p.version]),
      [
        ['acme/churn-data', 1],
        ['acme/churn-model', 1],
        ['acme/churn-data', 2],
        ['acme/churn-model', 2],
      ],
    );
    for (const p of published) {
      assert.match(p.digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(p.manifestUrl, `${server.url}/v1/manifests/${p.digest}`);
    }
    assert.equal(new Set(published.map((p) => p.digest)).size, 4, 'four distinct manifests');
    assert.match(run.stdout, /"version":2/);

    const [latest, v1, manifest] = values.slice(4);
    assert.deepEqual(latest, {
      ref: 'acme/churn-model:latest',
      artifact: 'acme/churn-model',
      version: 2,
      digest: published[3].digest,
      manifestUrl: published[3].manifestUrl,
    });
    assert.equal(v1.version, 1);
    assert.equal(v1.digest, published[1].digest);
    assert.equal(manifest.artifact, 'acme/churn-model');
    assert.equal(manifest.inputs[0].digest, published[0].digest, 'printed manifest: input = data v1');
    assert.equal(lines.slice(7).join('\n'), `${CSV_V1}\n`, 'printed the CSV v1 trained on (then `echo`)');

    // The recipe's working files are what the test expects it to have written.
    assert.equal(readFileSync(join(run.dir, 'train.csv'), 'utf8'), CSV_V2);
    assert.equal(readFileSync(join(run.dir, 'model.pkl'), 'utf8'), MODEL_V2);
    assert.equal(readFileSync(join(run.dir, 'requirements.txt'), 'utf8'), REQUIREMENTS);
  });

  it('resolve: churn-model:latest is version 2, @1 is version 1', async () => {
    assert.ok(published, 'the recipe ran');
    const latest = await resolve('acme/churn-model:latest');
    assert.equal(latest.version, 2);
    assert.equal(latest.digest, published[3].digest);
    const v1 = await resolve('acme/churn-model@1');
    assert.equal(v1.version, 1);
    assert.equal(v1.digest, published[1].digest);
    assert.equal((await resolve('acme/churn-data:latest')).version, 2);
    assert.equal((await resolve(`acme/churn-model@${v1.digest}`)).version, 1);
  });

  it('model v1 manifest: input resolved to data v1, lockfile, code commit; its bytes hash to its digest', async () => {
    assert.ok(published, 'the recipe ran');
    const v1 = await resolve('acme/churn-model@1');
    const dataV1 = await resolve('acme/churn-data@1');
    const res = await server.curl([v1.manifestUrl]);
    assert.equal(res.status, 200, res.body);
    assert.equal(sha256(res.bytes), v1.digest, 'the manifest bytes hash to the version digest');
    assert.match(res.headers['content-type'], /^application\/vnd\.cairn\.manifest\.v1\+json/);
    assert.match(res.headers['cache-control'], /immutable/);
    assert.equal(res.headers.etag, `"${v1.digest}"`);

    const m = res.json;
    assert.equal(m.schema, 'cairn.manifest/v1');
    assert.equal(m.artifact, 'acme/churn-model');
    assert.equal(m.kind, 'model');
    assert.deepEqual(m.files, [{ path: 'model.pkl', digest: sha256(MODEL_V1), size: MODEL_V1.length }]);
    assert.deepEqual(m.inputs, [{ role: 'training', ref: 'acme/churn-data:latest', digest: dataV1.digest }]);
    assert.deepEqual(m.environment, {
      lockfiles: [{ path: 'requirements.txt', digest: sha256(REQUIREMENTS) }],
    });
    assert.deepEqual(m.code, { repo: 'https://git.example/acme/churn', commit: COMMIT, path: 'train.py' });
    assert.deepEqual(m.params, { max_depth: 6 });
    assert.equal(m.metrics, undefined, 'metrics are annotations, not manifest content');

    // v2 trained on data v2; the metrics sit beside the manifest.
    const v2 = (await get('/v1/artifacts/acme/churn-model/versions/2')).json;
    assert.equal(v2.manifest.inputs[0].digest, (await resolve('acme/churn-data@2')).digest);
    assert.deepEqual(v2.metrics, { auc: 0.93 });
    assert.deepEqual((await get('/v1/artifacts/acme/churn-model/versions/1')).json.metrics, { auc: 0.91 });
  });

  it('the file route serves the 3-row CSV for churn-data@1 and the 4-row one for @2', async () => {
    assert.ok(published, 'the recipe ran');
    const path = (sel) => `/v1/artifacts/acme/churn-data/versions/${sel}/files/train.csv`;
    const v1 = await get(path(1));
    assert.equal(v1.body, CSV_V1);
    assert.equal(v1.headers.etag, `"${sha256(CSV_V1)}"`);
    assert.equal((await get(path(2))).body, CSV_V2);
    assert.equal((await get(path('latest'))).body, CSV_V2);
  });

  it('each artifact has exactly 2 versions', async () => {
    assert.ok(published, 'the recipe ran');
    assert.deepEqual(await versionNumbers('acme/churn-data'), [2, 1]);
    assert.deepEqual(await versionNumbers('acme/churn-model'), [2, 1]);
  });

  it('run again in a new directory: exits 0, same numbers and digests, no new versions', async () => {
    assert.ok(published, 'the recipe ran');
    const run = await runRecipe(TRAIN_MODEL);
    assertRan(run, 'the train-model recipe, second run');
    const again = run.stdout
      .split('\n')
      .slice(0, 4)
      .map((line) => JSON.parse(line));
    assert.deepEqual(again, published, 'republishing identical content answers the existing versions');
    assert.deepEqual(await versionNumbers('acme/churn-data'), [2, 1]);
    assert.deepEqual(await versionNumbers('acme/churn-model'), [2, 1]);
    assert.equal((await resolve('acme/churn-model:latest')).version, 2);
    assert.equal((await resolve('acme/churn-data:latest')).version, 2);
  });

  it('re-publishing identical content answers 200 (not 201) with the same version', async () => {
    const dataV1 = (await get('/v1/artifacts/acme/churn-data/versions/1')).json;
    const res = await server.curl([
      '-X',
      'POST',
      ...json({ kind: 'dataset', files: dataV1.manifest.files }),
      `${server.url}/v1/artifacts/acme/churn-data/versions`,
    ]);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json.version, 1);
    assert.equal(res.json.digest, dataV1.digest);
    assert.deepEqual(await versionNumbers('acme/churn-data'), [2, 1]);
  });
});

describe('README recipe: tags and promotion', () => {
  let v1;
  let v2;

  before(async () => {
    v1 = (await resolve('acme/churn-model@1')).digest;
    v2 = (await resolve('acme/churn-model@2')).digest;
  });

  it('runs verbatim: production → v2 (previous null), history records the move and its reason', async () => {
    const run = await runRecipe(PROMOTION);
    assertRan(run, 'the promotion recipe');
    const [moved, history] = jsonValues(run.stdout);
    assert.deepEqual(moved, { tag: 'production', digest: v2, previous: null });
    assert.equal(history.items.length, 1, JSON.stringify(history));
    assert.deepEqual(
      { ...history.items[0], at: undefined },
      { from: null, to: v2, at: undefined, by: 'admin', reason: PROMOTION_REASON },
    );
    assert.ok(!Number.isNaN(Date.parse(history.items[0].at)));
    assert.equal((await resolve('acme/churn-model:production')).version, 2);
  });

  it('promoting again with "expect": null: 409 TAG_CONFLICT with details.current; nothing moves', async () => {
    // The recipe itself, run a second time (curl -sS, no -f: it prints the error and goes on)…
    const run = await runRecipe(PROMOTION);
    assertRan(run, 'the promotion recipe, second run');
    const [conflict, history] = jsonValues(run.stdout);
    assert.equal(conflict.error?.code, 'TAG_CONFLICT', run.stdout);
    assert.equal(conflict.error.details.current, v2);
    assert.equal(history.items.length, 1, 'no new history event');

    // …and the same request with its status checked.
    const res = await moveTag('acme/churn-model', 'production', { digest: v1, expect: null });
    assert.equal(res.status, 409, res.body);
    assert.equal(res.json.error.code, 'TAG_CONFLICT');
    assert.equal(res.json.error.details.current, v2);
    assert.equal((await resolve('acme/churn-model:production')).digest, v2);
  });

  it('a write token cannot move production (403), but can move staging', async () => {
    const { token } = await newToken('e2e-ci', ['write']);
    const denied = await moveTag('acme/churn-model', 'production', { digest: v1, expect: v2 }, token);
    assert.equal(denied.status, 403, denied.body);
    assert.equal(denied.json.error.code, 'DENIED');
    const unconditional = await moveTag('acme/churn-model', 'production', { digest: v1 }, token);
    assert.equal(unconditional.status, 403, unconditional.body);
    assert.equal((await resolve('acme/churn-model:production')).digest, v2, 'production did not move');

    const staging = await moveTag(
      'acme/churn-model',
      'staging',
      { digest: v1, expect: null, reason: 'try v1' },
      token,
    );
    assert.equal(staging.status, 200, staging.body);
    assert.deepEqual(staging.json, { tag: 'staging', digest: v1, previous: null });
    const tags = (await get('/v1/artifacts/acme/churn-model/tags')).json;
    assert.deepEqual(tags, { latest: v2, production: v2, staging: v1 });
  });

  it('a promote token moves production with "expect" = the current digest; a stale expect is 409', async () => {
    const { id, token } = await newToken('e2e-release', ['promote']);
    const moved = await moveTag(
      'acme/churn-model',
      'production',
      { digest: v1, expect: v2, reason: 'roll back' },
      token,
    );
    assert.equal(moved.status, 200, moved.body);
    assert.deepEqual(moved.json, { tag: 'production', digest: v1, previous: v2 });

    const stale = await moveTag('acme/churn-model', 'production', { digest: v2, expect: v2 }, token);
    assert.equal(stale.status, 409, stale.body);
    assert.equal(stale.json.error.details.current, v1);

    const history = (await get('/v1/artifacts/acme/churn-model/tags/production/history')).json;
    assert.deepEqual(
      history.items.map(({ from, to, by, reason }) => ({ from, to, by, reason })),
      [
        { from: v2, to: v1, by: `e2e-release (${id})`, reason: 'roll back' },
        { from: null, to: v2, by: 'admin', reason: PROMOTION_REASON },
      ],
    );
    assert.equal((await resolve('acme/churn-model:production')).version, 1);
  });
});

describe('publish checks', () => {
  it('a blob that was never uploaded: 422 BLOB_UNKNOWN listing it, and no new version', async () => {
    const before = await versionNumbers('acme/churn-model');
    const tagsBefore = (await get('/v1/artifacts/acme/churn-model/tags')).json;
    const stored = (await get('/v1/artifacts/acme/churn-model/versions/1')).json.manifest.files[0];
    const ghost = sha256(`never uploaded ${process.pid} ${Date.now()}`);
    const ghostLock = sha256(`never uploaded lockfile ${process.pid} ${Date.now()}`);

    const res = await server.curl([
      '-X',
      'POST',
      ...json({
        kind: 'model',
        files: [stored, { path: 'weights.bin', digest: ghost, size: 10 }],
        environment: { lockfiles: [{ path: 'requirements.txt', digest: ghostLock }] },
        tags: ['latest'],
      }),
      `${server.url}/v1/artifacts/acme/churn-model/versions`,
    ]);
    assert.equal(res.status, 422, res.body);
    assert.equal(res.json.error.code, 'BLOB_UNKNOWN');
    assert.deepEqual([...res.json.error.details.missing].sort(), [ghost, ghostLock].sort());
    assert.ok(!res.json.error.details.missing.includes(stored.digest), 'a stored blob is not listed');

    assert.deepEqual(await versionNumbers('acme/churn-model'), before, 'no new version');
    assert.deepEqual((await get('/v1/artifacts/acme/churn-model/tags')).json, tagsBefore, 'no tag moved');

    // A new artifact is not created by a refused publish either.
    const fresh = await server.curl([
      '-X',
      'POST',
      ...json({ kind: 'dataset', files: [{ path: 'a.csv', digest: ghost, size: 10 }] }),
      `${server.url}/v1/artifacts/acme/never-made/versions`,
    ]);
    assert.equal(fresh.status, 422, fresh.body);
    assert.deepEqual(fresh.json.error.details.missing, [ghost]);
    const gone = await server.curl([`${server.url}/v1/artifacts/acme/never-made`]);
    assert.equal(gone.status, 404, gone.body);
    assert.equal(gone.json.error.code, 'ARTIFACT_UNKNOWN');
  });
});
