/**
 * Diff, explain, lineage and impact, end to end: the README's `recipe:explain` runs verbatim with
 * bash against the real `npm start` server (two datasets, two models, production moved from the
 * first model to the second with a reason), then the state it left is checked with curl:
 *   - the recipe's explain answer: data (transactions.csv modified) and environment
 *     (scikit-learn 1.3.0 → 1.4.0) changed, code and params did not; the move and its reason;
 *   - GET /v1/diff between the two model versions says the same;
 *   - GET /v1/lineage (JSON, Mermaid, DOT) and GET /v1/impact on that graph.
 * The README's "Lineage and impact" block is not run here: it reads acme/churn-* (the
 * train-model recipe's artifacts, see versions.test.mjs) and pipes into Graphviz's `dot`.
 * If the explain recipe changes, this file runs the new text: keep its outcome (fraud-data and
 * fraud-model versions 1 and 2, production moved v1 → v2 "weekly retrain") or adjust the checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from './harness.mjs';
import { assertRan, runRecipe, shellBlockAfter } from './readme-recipes.mjs';

/** Per-test timeout: a hung request or recipe fails the test instead of stalling CI. */
const T = 120_000;

/** What the recipe writes (kept in step with its printf lines; checked against its files). */
const CSV_V1 = 'amount,fraud\n10,0\n990,1\n';
const CSV_V2 = `${CSV_V1}15,0\n`;
const REQUIREMENTS_V2 = 'numpy==1.26.4\nscikit-learn==1.4.0\n';
const MODEL_V2 = 'weights v2\n';

const EXPLAIN = shellBlockAfter('<!-- recipe:explain');

let server;

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
/** A test with a timeout that, when it fails, also prints the server log's tail. */
const it = (name, fn, timeout = T) => test(name, { timeout }, (t) => server.withLog(fn)(t));

async function get(path) {
  const res = await server.curl([`${server.url}${path}`]);
  assert.equal(res.status, 200, `GET ${path}: ${res.status} ${res.body}`);
  return res;
}

const digestOf = async (ref) => (await get(`/v1/resolve/${ref}`)).json.digest;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

describe('README recipe: production got worse — why?', () => {
  /** The explain answer the recipe printed last. */
  let explained;
  /** Digests of acme/fraud-model@1, @2 and acme/fraud-data@1, @2. */
  let model1;
  let model2;
  let data1;
  let data2;

  it('runs verbatim with bash -euo pipefail; its explain answer names data and environment', async () => {
    const run = await runRecipe(server, EXPLAIN, { timeout: T });
    assertRan(run, 'the explain recipe');
    const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
    try {
      explained = JSON.parse(lines.at(-1));
    } catch {
      assert.fail(`the recipe's last line is not JSON\n--- stdout ---\n${run.stdout}`);
    }
    assert.equal(readFileSync(join(run.dir, 'transactions.csv'), 'utf8'), CSV_V2);
    assert.equal(readFileSync(join(run.dir, 'requirements.txt'), 'utf8'), REQUIREMENTS_V2);
    assert.equal(readFileSync(join(run.dir, 'model.pkl'), 'utf8'), MODEL_V2);

    [model1, model2, data1, data2] = await Promise.all(
      ['acme/fraud-model@1', 'acme/fraud-model@2', 'acme/fraud-data@1', 'acme/fraud-data@2'].map(digestOf),
    );
    assert.equal(new Set([model1, model2, data1, data2]).size, 4, 'four distinct versions');

    const e = explained;
    assert.deepEqual(e.changed, ['data', 'environment'], JSON.stringify(e));
    assert.deepEqual(e.from, { artifact: 'acme/fraud-model', version: 1, digest: model1 });
    assert.deepEqual(e.to, { artifact: 'acme/fraud-model', version: 2, digest: model2 });

    // data: the training input moved from fraud-data v1 to v2, and transactions.csv changed.
    assert.equal(e.data.changed, true);
    assert.equal(e.data.inputs.length, 1, JSON.stringify(e.data));
    const [input] = e.data.inputs;
    assert.equal(input.role, 'training');
    assert.equal(input.status, 'changed');
    assert.equal(input.artifact, 'acme/fraud-data');
    assert.deepEqual(input.from, {
      ref: 'acme/fraud-data@1',
      digest: data1,
      artifact: 'acme/fraud-data',
      version: 1,
    });
    assert.deepEqual(input.to, {
      ref: 'acme/fraud-data@2',
      digest: data2,
      artifact: 'acme/fraud-data',
      version: 2,
    });
    // A CSV also carries its table diff (README "Table diffs"): pending until the queue has run.
    const { table, ...modified } = input.files.modified[0];
    assert.ok(['pending', 'ready'].includes(table?.state), JSON.stringify(table));
    assert.equal(input.files.modified.length, 1);
    assert.deepEqual(modified, {
      path: 'transactions.csv',
      from: { digest: sha256(CSV_V1), size: CSV_V1.length },
      to: { digest: sha256(CSV_V2), size: CSV_V2.length },
    });
    assert.deepEqual(input.files.added, []);
    assert.deepEqual(input.files.removed, []);
    assert.deepEqual(input.files.counts, { added: 0, removed: 0, modified: 1, unchanged: 0 });
    assert.equal(input.upstream, undefined, 'fraud-data has no inputs of its own');

    // environment: requirements.txt parsed as requirements; only scikit-learn moved.
    assert.equal(e.environment.changed, true);
    assert.equal(e.environment.lockfiles.length, 1, JSON.stringify(e.environment));
    const [lock] = e.environment.lockfiles;
    assert.equal(lock.path, 'requirements.txt');
    assert.equal(lock.status, 'modified');
    assert.equal(lock.format, 'requirements');
    assert.equal(lock.to, sha256(REQUIREMENTS_V2));
    assert.deepEqual(lock.packages, [
      { name: 'scikit-learn', change: 'changed', from: '1.3.0', to: '1.4.0' },
    ]);
    assert.ok(!lock.packages.some((p) => p.name === 'numpy'), 'numpy did not change');
    assert.deepEqual(e.environment.image, { changed: false, from: null, to: null });
    assert.equal(e.environment.runtime.changed, false);

    // code and params are the same; the output file changed; no metrics on either side.
    assert.equal(e.code.changed, false);
    assert.deepEqual(e.code.fields, []);
    assert.equal(e.params.changed, false);
    assert.deepEqual(
      e.files.modified.map((f) => f.path),
      ['model.pkl'],
    );
    assert.deepEqual(e.metrics, []);

    // the move: production v1 → v2 by the admin token, with the recipe's reason.
    assert.equal(e.move.from, model1);
    assert.equal(e.move.to, model2);
    assert.equal(e.move.by, 'admin');
    assert.equal(e.move.reason, 'weekly retrain');
    assert.ok(!Number.isNaN(Date.parse(e.move.at)), `move.at: ${e.move.at}`);
  });

  it('GET /v1/diff?from=@1&to=@2 answers the same diff; code and params unchanged', async () => {
    assert.ok(explained, 'the recipe ran');
    const res = await get('/v1/diff?from=acme/fraud-model@1&to=acme/fraud-model@2');
    assert.match(res.headers['cache-control'], /no-cache/);
    const diff = res.json;
    assert.deepEqual(diff.changed, ['data', 'environment']);
    assert.equal(diff.code.changed, false);
    assert.equal(diff.params.changed, false);
    const { move: _move, ...rest } = explained;
    assert.deepEqual(diff, rest, "explain = the diff between the tag's last two targets, plus move");

    // The same two versions named by digest and by tag: the same answer.
    const byDigest = await get(`/v1/diff?from=acme/fraud-model@${model1}&to=acme/fraud-model:production`);
    assert.deepEqual(byDigest.json, diff);
  });
});

describe('lineage and impact on what the recipe left', () => {
  let model1;
  let model2;
  let data1;
  let data2;

  before(async () => {
    [model1, model2, data1, data2] = await Promise.all(
      ['acme/fraud-model@1', 'acme/fraud-model@2', 'acme/fraud-data@1', 'acme/fraud-data@2'].map(digestOf),
    );
  });

  it('lineage up from fraud-model@2: itself and fraud-data v2, one training edge', async () => {
    const res = await get('/v1/lineage/acme/fraud-model@2?direction=up');
    assert.match(res.headers['content-type'], /^application\/json/);
    const g = res.json;
    assert.equal(g.root, model2);
    assert.equal(g.direction, 'up');
    assert.equal(g.truncated, false);
    assert.equal(g.hidden, 0);
    assert.deepEqual(g.nodes, [
      {
        digest: model2,
        artifact: 'acme/fraud-model',
        version: 2,
        kind: 'model',
        tags: ['production'],
        depth: 0,
      },
      { digest: data2, artifact: 'acme/fraud-data', version: 2, kind: 'dataset', tags: [], depth: 1 },
    ]);
    assert.deepEqual(g.edges, [{ from: data2, to: model2, role: 'training' }]);

    // Downstream of data v1: the model trained on it, production or not.
    const down = (await get('/v1/lineage/acme/fraud-data@1?direction=down')).json;
    assert.deepEqual(
      down.nodes.map((n) => [n.digest, n.depth]),
      [
        [data1, 0],
        [model1, 1],
      ],
    );
    assert.deepEqual(down.edges, [{ from: data1, to: model1, role: 'training' }]);
  });

  it('format=mermaid is text/plain "graph LR"; format=dot is text/vnd.graphviz "digraph"', async () => {
    const mermaid = await get('/v1/lineage/acme/fraud-model@2?direction=up&format=mermaid');
    assert.match(mermaid.headers['content-type'], /^text\/plain/);
    assert.match(mermaid.body, /^graph LR\n/);
    assert.match(mermaid.body, /acme\/fraud-model@2 \(production\)/);
    assert.match(mermaid.body, /acme\/fraud-data@2/);
    assert.match(mermaid.body, /-->\|"training"\|/);

    const dot = await get('/v1/lineage/acme/fraud-model@2?direction=up&format=dot');
    assert.match(dot.headers['content-type'], /^text\/vnd\.graphviz/);
    assert.match(dot.body, /^digraph /);
    assert.match(dot.body, /acme\/fraud-data@2/);
    assert.match(dot.body, / -> \S+ \[label="training"\];/);
    assert.match(dot.body, /}\n$/);
  });

  it('impact of fraud-data@2: fraud-model v2 in production, via the training edge', async () => {
    const res = await get('/v1/impact/acme/fraud-data@2');
    assert.deepEqual(res.json, {
      root: data2,
      protectedTags: ['production'],
      hidden: 0,
      versions: [
        {
          artifact: 'acme/fraud-model',
          version: 2,
          digest: model2,
          tags: ['production'],
          path: [data2, model2],
        },
      ],
    });
  });

  it('impact of fraud-data@1 is empty: production moved on from the model trained on it', async () => {
    const res = await get('/v1/impact/acme/fraud-data@1');
    assert.equal(res.json.root, data1);
    assert.deepEqual(res.json.versions, [], JSON.stringify(res.json));
    assert.equal(res.json.hidden, 0);
  });
});
