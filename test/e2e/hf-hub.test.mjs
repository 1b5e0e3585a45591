/**
 * Cairn as a Hugging Face Hub endpoint, end to end with the real `@huggingface/hub` client
 * (pinned in package.json) against the real `npm start`, through a counting proxy so the test
 * can prove what was (not) sent: createRepo (twice: idempotent), uploadFiles of a config and a
 * 4 MiB weights file, a second commit changing only the config (the weights are not re-sent), a
 * 120 MiB file through the Hub's multipart transfer (signed part URLs, no credentials on parts),
 * listFiles, downloadFile byte-identical, modelInfo; then the same repo natively: versions, the
 * tag `main`, lineage and /v1/diff naming exactly the changed file. A dataset repo too.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createRepo, datasetInfo, downloadFile, listFiles, modelInfo, uploadFiles } from '@huggingface/hub';
import { startProxy } from '../cli/counting-proxy.mjs';
import { startServer } from './harness.mjs';
import { assertRan, runRecipe, shellBlockAfter } from './readme-recipes.mjs';

const MiB = 1024 * 1024;
const T = 600_000;
let server;
let proxy;
let accessToken;
let hubUrl;

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const json = (body) => ['-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body)];

before(async () => {
  server = await startServer();
  const res = await server.curl([
    '-X',
    'POST',
    ...json({ name: 'hf', scopes: ['write'] }),
    `${server.url}/v1/tokens`,
  ]);
  assert.equal(res.status, 201, res.body);
  accessToken = `hf_${res.json.token}`;
  proxy = await startProxy(server.url);
  hubUrl = `${proxy.url}/hf`;
});

after(async () => {
  await proxy?.stop();
  await server?.stop();
});

/** One commit of `files` ({path: content}) through the client. */
function upload(repo, files) {
  const entries = Object.entries(files).map(([path, content]) => ({ path, content: new Blob([content]) }));
  return uploadFiles({ repo, accessToken, hubUrl, files: entries });
}

async function bytesOf(blob) {
  return Buffer.from(await blob.arrayBuffer());
}

describe('@huggingface/hub against /hf', { timeout: T }, () => {
  const repo = { type: 'model', name: 'acme/tiny-llm' };
  const weights = randomBytes(4 * MiB);
  const big = randomBytes(120 * MiB);

  test('createRepo, two commits, multipart, listFiles, downloadFile, modelInfo; then natively', async () => {
    await createRepo({ repo, accessToken, hubUrl });
    await createRepo({ repo, accessToken, hubUrl }); // idempotent for an existing artifact

    await upload(repo, { 'config.json': '{"layers": 2}', 'model.safetensors': weights });
    const puts = () =>
      proxy.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/hf/_transfer/'));
    assert.equal(puts().length, 2);
    assert.ok(puts().some((r) => r.bytes === weights.length));

    proxy.reset();
    await upload(repo, { 'config.json': '{"layers": 3}', 'model.safetensors': weights });
    // Only the config travelled: the batch answered the weights without an upload action.
    assert.deepEqual(
      puts().map((r) => r.bytes),
      [13],
    );

    proxy.reset();
    await upload(repo, { 'shards/big.bin': big });
    const parts = puts().filter((r) => r.path.startsWith('/hf/_transfer/part'));
    assert.equal(parts.length, 2, 'two 64 MiB parts');
    assert.equal(
      parts.reduce((n, r) => n + r.bytes, 0),
      big.length,
    );
    assert.equal(proxy.count('POST', /^\/hf\/_transfer\/complete/), 1);

    const files = [];
    for await (const f of listFiles({ repo, accessToken, hubUrl, recursive: true })) files.push(f);
    assert.deepEqual(
      files.map((f) => `${f.type}:${f.path}`),
      ['file:config.json', 'file:model.safetensors', 'directory:shards', 'file:shards/big.bin'],
    );

    const gotWeights = await downloadFile({ repo, path: 'model.safetensors', accessToken, hubUrl });
    assert.equal(sha(await bytesOf(gotWeights)), sha(weights));
    const gotBig = await downloadFile({ repo, path: 'shards/big.bin', accessToken, hubUrl });
    assert.equal(sha(await bytesOf(gotBig)), sha(big));
    const gotConfig = await downloadFile({ repo, path: 'config.json', accessToken, hubUrl, revision: '2' });
    assert.equal((await bytesOf(gotConfig)).toString(), '{"layers": 3}');
    const first = await downloadFile({ repo, path: 'config.json', accessToken, hubUrl, revision: '1' });
    assert.equal((await bytesOf(first)).toString(), '{"layers": 2}');

    const info = await modelInfo({
      name: repo.name,
      accessToken,
      hubUrl,
      additionalFields: ['sha', 'siblings'],
    });
    assert.equal(info.name, repo.name);
    assert.match(info.sha, /^[0-9a-f]{40}$/);
    assert.equal(info.siblings.length, 3);

    // The same repository, natively.
    const versions = await server.curl([`${server.url}/v1/artifacts/acme/tiny-llm/versions`]);
    assert.equal(versions.status, 200, versions.body);
    assert.equal(versions.json.items.length, 3);
    const tags = await server.curl([`${server.url}/v1/artifacts/acme/tiny-llm/tags`]);
    const latest = versions.json.items.find((v) => v.version === 3);
    assert.equal(tags.json.main, latest.digest);
    assert.equal(info.sha, latest.digest.slice(7, 47), 'the commit id is the digest prefix');
    const diff = await server.curl([`${server.url}/v1/diff?from=acme/tiny-llm@1&to=acme/tiny-llm@2`]);
    assert.equal(diff.status, 200, diff.body);
    const named = JSON.stringify(diff.json.files);
    assert.match(named, /config\.json/);
    assert.doesNotMatch(named, /model\.safetensors/);
    const lineage = await server.curl([`${server.url}/v1/lineage/acme/tiny-llm@2`]);
    assert.equal(lineage.status, 200, lineage.body);
    assert.ok(lineage.json.nodes.some((n) => n.artifact === 'acme/tiny-llm' && n.version === 1));
  });

  test('a dataset repository', async () => {
    const ds = { type: 'dataset', name: 'acme/reviews' };
    await createRepo({ repo: ds, accessToken, hubUrl });
    const csv = 'text,label\ngood,1\nbad,0\n';
    await uploadFiles({
      repo: ds,
      accessToken,
      hubUrl,
      files: [{ path: 'data/train.csv', content: new Blob([csv]) }],
    });
    const got = await downloadFile({ repo: ds, path: 'data/train.csv', accessToken, hubUrl });
    assert.equal((await bytesOf(got)).toString(), csv);
    const info = await datasetInfo({ name: ds.name, accessToken, hubUrl });
    assert.equal(info.name, ds.name);
    const kind = await server.curl([`${server.url}/v1/artifacts/acme/reviews`]);
    assert.equal(kind.json.kind, 'dataset');
  });

  test('the README curl recipe runs verbatim and commits a version', async () => {
    const run = await runRecipe(server, shellBlockAfter('<!-- recipe:hf-curl'));
    assertRan(run, 'the hf-curl recipe');
    assert.match(run.stdout, /"commitOid":"[0-9a-f]{40}"/);
    assert.ok(run.stdout.endsWith('{"layers": 2}'));
    const versions = await server.curl([`${server.url}/v1/artifacts/acme/tiny/versions`]);
    assert.equal(versions.json.items.length, 1);
  });
});
