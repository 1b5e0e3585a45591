/**
 * The `cairn` commands around versions, end to end against the real `npm start` through the
 * counting proxy (test/cli/counting-proxy.mjs): promote by compare-and-swap (a lost race, staged
 * by the proxy, exits 5 and changes nothing), diff of a tag's last move, lineage, show, tokens
 * and their scopes; the client library itself (check batching, CairnError fields, network
 * errors); and the README's three CLI recipes, run verbatim with `cairn` on PATH.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { expectOk, startCliRegistry } from '../cli/registry.mjs';
import { CAIRN } from '../cli/run-cli.mjs';
import { freePort } from './harness.mjs';
import { assertRan, runRecipe, shellBlockAfter } from './readme-recipes.mjs';

const T = 120_000;
const CHECK = /^\/v1\/blobs\/check$/;

let registry;
let server;
let proxy;

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const it = (name, fn, timeout = T) => test(name, { timeout }, (t) => server.withLog(fn)(t));
const cli = (args) => registry.cli(args);

const ok = expectOk;

before(async () => {
  registry = await startCliRegistry();
  ({ server, proxy } = registry);
  // acme/rows@1 and @2: three CSV files, one of them changed in @2.
  const data = join(server.workDir, 'rows');
  mkdirSync(data);
  for (const i of [1, 2, 3]) writeFileSync(join(data, `part-${i}.csv`), `id\n${i}\n`);
  ok(await cli(['push', data, 'acme/rows', '--kind', 'dataset']), 'push rows@1');
  writeFileSync(join(data, 'part-2.csv'), 'id\n2\n22\n');
  ok(await cli(['push', data, 'acme/rows', '--kind', 'dataset']), 'push rows@2');
});

after(() => registry?.stop());

describe('cairn tag, promote, diff and lineage', () => {
  it('promote moves production by compare-and-swap; losing a race exits 5 and changes nothing', async () => {
    ok(await cli(['promote', 'acme/rows@1', '--to', 'production', '--reason', 'first']), 'promote v1');
    // Someone else moves production to v2 after the CLI has read where it points.
    proxy.before = async (req) => {
      if (req.method !== 'PUT' || !req.url.endsWith('/tags/production')) return;
      proxy.before = null;
      const moved = await server.curl([
        '-X',
        'PUT',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        JSON.stringify({ digest: (await server.curl([`${server.url}/v1/resolve/acme/rows@2`])).json.digest }),
        `${server.url}/v1/artifacts/acme/rows/tags/production`,
      ]);
      assert.equal(moved.status, 200, moved.body);
    };
    ok(await cli(['tag', 'acme/rows@2', 'staging']), 'tag staging');
    const lost = await cli(['promote', 'acme/rows:staging', '--to', 'production']);
    proxy.before = null;
    assert.equal(lost.code, 5, lost.stderr);
    assert.match(lost.stderr, /moved to sha256:[0-9a-f]{64} while you were promoting/);
    const history = ok(await cli(['log', 'acme/rows', '--tag', 'production', '--json']), 'history').json
      .items;
    assert.deepEqual(
      history.map((e) => e.reason),
      [null, 'first'],
      'only the two real moves',
    );
  });

  it('diff of a tag explains its last move; lineage lists inputs; show describes a version', async () => {
    const model = join(server.workDir, 'model.pkl');
    /** Trains "a model" on a version of acme/rows and pushes it. */
    const pushModel = (weights, rows, depth, ...extra) => {
      writeFileSync(model, weights);
      const args = ['--kind', 'model', '--input', `acme/rows@${rows}=training`, '--param', `depth=${depth}`];
      return cli(['push', model, 'acme/rows-model', ...args, ...extra]);
    };
    ok(await pushModel('weights\n', 1, 6), 'push v1');
    ok(await pushModel('weights v2\n', 2, 8, '--tag', 'latest', '--metric', 'auc=0.9'), 'push v2');
    ok(await cli(['promote', 'acme/rows-model@1', '--to', 'production']), 'promote v1');
    ok(
      await cli(['promote', 'acme/rows-model@2', '--to', 'production', '--reason', 'retrain']),
      'promote v2',
    );
    const why = ok(await cli(['diff', 'acme/rows-model:production']), 'diff').stdout;
    assert.match(why, /^changed: data, params$/m);
    assert.match(why, /training \(acme\/rows\): changed/);
    assert.match(why, /~ depth: 6 → 8/);
    const json = ok(
      await cli(['diff', 'acme/rows-model@1', 'acme/rows-model@2', '--json']),
      'diff json',
    ).json;
    assert.deepEqual(json.changed, ['data', 'params']);
    const up = ok(await cli(['lineage', 'acme/rows-model:production']), 'lineage').stdout;
    assert.match(up, /^acme\/rows-model@2 {2}model/m);
    assert.match(up, /^ {2}acme\/rows@2 {2}dataset \(training\)/m);
    const mermaid = ok(
      await cli(['lineage', 'acme/rows@2', '--down', '--format', 'mermaid']),
      'mermaid',
    ).stdout;
    assert.match(mermaid, /^(graph|flowchart) /m);
    const detail = ok(await cli(['show', 'acme/rows-model', '--json']), 'show --json').json;
    const verified = ok(await cli(['verify', detail.manifestUrl, '--json']), 'verify a manifest URL').json;
    assert.equal(verified.ok, true);
    assert.equal(verified.digest, detail.digest);
    const shown = ok(await cli(['show', 'acme/rows-model']), 'show').stdout;
    assert.match(shown, /^acme\/rows-model@2 {2}\(model\)$/m);
    assert.match(shown, /^metrics: {3}\{"auc":0\.9\}$/m);
  });
});

describe('cairn token and tag --delete', () => {
  it('a write token tags but cannot promote (exit 3, scope hint); revoked, it is refused', async () => {
    const created = ok(
      await cli(['token', 'create', 'ci', '--scope', 'write', '--json']),
      'token create',
    ).json;
    assert.match(created.token, /^cairn_/);
    const listed = ok(await cli(['token', 'list', '--json']), 'token list').json;
    assert.ok(listed.some((t) => t.id === created.id && t.scopes.join() === 'write'));
    const asCi = { env: { CAIRN_TOKEN: created.token } };
    ok(await registry.cli(['tag', 'acme/rows@1', 'candidate'], asCi), 'tag with a write token');
    const denied = await registry.cli(['promote', 'acme/rows@1', '--to', 'production'], asCi);
    assert.equal(denied.code, 3, denied.stderr);
    assert.match(denied.stderr, /DENIED[\s\S]*hint: this needs a token with the "promote" scope/);
    ok(await registry.cli(['tag', '--delete', 'acme/rows', 'candidate'], asCi), 'tag --delete');
    assert.equal((await cli(['show', 'acme/rows:candidate'])).code, 4);
    ok(await cli(['token', 'revoke', created.id]), 'token revoke');
    const revoked = await registry.cli(['log', 'acme/rows'], asCi);
    assert.equal(revoked.code, 3, revoked.stderr);
  });
});

describe('the client library', () => {
  let lib;
  let client;

  before(async () => {
    // The client is TypeScript: load it through tsx, as bin/cairn.mjs does.
    const { register } = await import('tsx/esm/api');
    register();
    lib = await import('../../src/client/index.ts');
    client = new lib.CairnClient({ baseUrl: proxy.url, token: server.token });
  });

  it('asks /v1/blobs/check 1,000 digests at a time', async () => {
    const digests = Array.from({ length: 2500 }, (_, i) => sha256(`not stored ${i}`));
    proxy.reset();
    assert.deepEqual(await client.missingBlobs(digests), digests);
    assert.equal(proxy.count('POST', CHECK), 3);
  });

  it('errors carry status, API code, message, details and request id', async () => {
    const err = await client.resolve('acme/rows:no-such-tag').catch((e) => e);
    assert.ok(err instanceof lib.CairnError);
    assert.equal(err.status, 404);
    assert.equal(err.code, 'TAG_UNKNOWN');
    assert.match(err.message, /does not resolve/);
    assert.equal(err.details.ref, 'acme/rows:no-such-tag');
    assert.match(err.requestId, /\S/);
    const v1 = await client.resolve('acme/rows@1');
    const conflict = await client
      .moveTag('acme/rows', 'production', { digest: v1.digest, expect: v1.digest })
      .catch((e) => e);
    assert.equal(conflict.code, 'TAG_CONFLICT');
    assert.equal(conflict.status, 409);
    assert.match(conflict.details.current, /^sha256:/);
    const offline = await new lib.CairnClient({ baseUrl: `http://127.0.0.1:${await freePort()}` })
      .health()
      .catch((e) => e);
    assert.equal(offline.status, 0);
    assert.equal(offline.code, 'NETWORK_ERROR');
  });
});

describe('README recipes with the cairn CLI (run verbatim)', () => {
  /** The block, run with bash in a fresh directory, `cairn` on PATH and configured by env. */
  async function recipe(marker) {
    const bin = join(server.workDir, 'bin');
    mkdirSync(bin, { recursive: true });
    try {
      symlinkSync(CAIRN, join(bin, 'cairn'));
    } catch {}
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const script = `export CAIRN_URL=$CAIRN CAIRN_TOKEN=$TOKEN\n${shellBlockAfter(marker)}`;
      const run = await runRecipe(server, script, { timeout: T });
      assertRan(run, marker);
      return run;
    } finally {
      process.env.PATH = path;
    }
  }

  it('train a model on a CSV, track both', async () => {
    const run = await recipe('<!-- recipe:cli-train');
    assert.match(run.stdout, /^acme\/churn-model@1$/m);
    assert.match(run.stdout, /^acme\/churn-model@2$/m);
    assert.match(run.stdout, /^ok: manifest sha256:[0-9a-f]{64} and 2 blob\(s\)/m);
    assert.equal(
      readFileSync(join(run.dir, 'v1-data', 'train.csv'), 'utf8'),
      'age,plan,churned\n34,basic,0\n51,pro,1\n29,basic,0\n',
    );
  });

  it('promote to production', async () => {
    const run = await recipe('<!-- recipe:cli-promote');
    assert.match(run.stdout, /^acme\/churn-model:production → @2 sha256:/m);
    assert.match(run.stdout, /"AUC 0\.93 on holdout"[\s\S]*"first release"/);
  });

  it('production got worse — why?', async () => {
    const run = await recipe('<!-- recipe:cli-why');
    assert.match(run.stdout, /^changed: data, environment$/m);
    // The table profile is computed on a queue after the publish: the diff may catch it ready
    // (rows and drift) or still pending; both name the file.
    assert.match(
      run.stdout,
      /^ {6}~ train\.csv( \(rows 3 → 4; \+1\/−0 rows[^\n]*\)| \(table profile pending[^\n]*\))?$/m,
    );
    assert.match(run.stdout, /^ {4}~ scikit-learn 1\.3\.0 → 1\.4\.0$/m);
    assert.match(run.stdout, /^acme\/churn-model@2 {2}\[production\]/m, 'impact of the new data');
  });
});
