/**
 * Cairn as an OCI registry, end to end, with Debian's real `skopeo` (containers/image) against
 * the real `npm start` server: an OCI image layout made here (a ModelPack-style model: a weights
 * layer and a dataset layer, both titled) is copied into Cairn with --preserve-digests and back
 * out, byte-identical; `inspect --raw` serves the exact manifest bytes; `list-tags`; the pushed
 * tag is a Cairn version over /v1; a write-only token is refused on `production`; `delete`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startServer } from './harness.mjs';
import { httpOnlyFront } from './http-only-front.mjs';

const run = promisify(execFile);
const T = 180_000;
const MODEL_ARTIFACT = 'application/vnd.cncf.model.manifest.v1+json';

let server;
let front;
let host;

const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Writes an OCI image layout at `dir` holding one manifest tagged `tag`; returns its parts. */
function makeLayout(dir, tag) {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes) => {
    const digest = sha256(bytes);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const weights = randomBytes(3 * 1024 * 1024 + 17);
  const dataset = randomBytes(512 * 1024 + 3);
  const config = Buffer.from(
    JSON.stringify({ descriptor: { name: 'tiny-model' }, modelfs: { type: 'layers' } }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: MODEL_ARTIFACT,
      config: { mediaType: 'application/vnd.cncf.model.config.v1+json', ...put(config) },
      layers: [
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          ...put(weights),
          annotations: { 'org.opencontainers.image.title': 'model.safetensors' },
        },
        {
          mediaType: 'application/vnd.cncf.model.dataset.v1.raw',
          ...put(dataset),
          annotations: { 'org.opencontainers.image.title': 'data/train.jsonl' },
        },
      ],
    }),
  );
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...m,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return { manifest, digest: m.digest, weights, dataset };
}

function skopeo(args) {
  return run('skopeo', ['--insecure-policy', ...args], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HOME: server.workDir },
  }).catch((err) => {
    err.message += `\n${err.stderr ?? ''}\n${server.logTail(30)}`;
    throw err;
  });
}

const creds = (token) => `--creds=oci:${token}`;

before(async () => {
  server = await startServer();
  // skopeo tries HTTPS first; the front makes that fail at once instead of after 10 s.
  front = await httpOnlyFront(server.url);
  host = front.host;
});

after(async () => {
  await front?.close();
  await server?.stop();
});

describe('skopeo against Cairn', () => {
  test('copy an OCI layout in with --preserve-digests, and back out byte-identical', {
    timeout: T,
  }, async () => {
    const src = join(server.workDir, 'src-layout');
    const made = makeLayout(src, 'v1');
    await skopeo([
      'copy',
      '--preserve-digests',
      '--dest-tls-verify=false',
      creds(server.token).replace('--creds', '--dest-creds'),
      `oci:${src}:v1`,
      `docker://${host}/acme/tiny-model:v1`,
    ]);

    const raw = await skopeo([
      'inspect',
      '--raw',
      '--tls-verify=false',
      creds(server.token),
      `docker://${host}/acme/tiny-model:v1`,
    ]);
    assert.equal(
      sha256(Buffer.from(raw.stdout)),
      made.digest,
      'inspect --raw serves the exact manifest bytes',
    );

    const out = join(server.workDir, 'out-layout');
    await skopeo([
      'copy',
      '--preserve-digests',
      '--src-tls-verify=false',
      creds(server.token).replace('--creds', '--src-creds'),
      `docker://${host}/acme/tiny-model:v1`,
      `oci:${out}:v1`,
    ]);
    const blobs = join(out, 'blobs', 'sha256');
    const names = readdirSync(blobs);
    assert.ok(names.includes(made.digest.slice(7)), 'the manifest came back under its digest');
    assert.deepEqual(readFileSync(join(blobs, sha256(made.weights).slice(7))), made.weights);
    assert.deepEqual(readFileSync(join(blobs, sha256(made.dataset).slice(7))), made.dataset);
    assert.deepEqual(readFileSync(join(blobs, made.digest.slice(7))), made.manifest);

    // One push, visible to every protocol: the tag is a Cairn version whose files are the layers.
    const version = await server.curl([`${server.url}/v1/artifacts/acme/tiny-model/versions/v1`]);
    assert.equal(version.status, 200, version.body);
    const manifest = await server.curl([`${server.url}/v1/manifests/${version.json.digest}`]);
    assert.equal(manifest.json.kind, 'model');
    assert.deepEqual(
      manifest.json.files.map((f) => [f.path, f.digest]),
      [
        ['data/train.jsonl', sha256(made.dataset)],
        ['model.safetensors', sha256(made.weights)],
      ],
    );
    const file = await server.curl([
      `${server.url}/v1/artifacts/acme/tiny-model/versions/v1/files/model.safetensors`,
    ]);
    assert.equal(file.status, 200);
    assert.deepEqual(file.bytes, made.weights);
  });

  test('list-tags, a write-only token refused on production, then delete', { timeout: T }, async () => {
    const src = join(server.workDir, 'src-tags');
    makeLayout(src, 'v2');
    const push = (tag, token) =>
      skopeo([
        'copy',
        '--preserve-digests',
        '--dest-tls-verify=false',
        `--dest-creds=oci:${token}`,
        `oci:${src}:v2`,
        `docker://${host}/acme/tagged:${tag}`,
      ]);
    await push('v2', server.token);
    await push('staging', server.token);

    const tokenRes = await server.curl([
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data',
      JSON.stringify({ name: 'ci-writer', scopes: ['read', 'write'] }),
      `${server.url}/v1/tokens`,
    ]);
    assert.equal(tokenRes.status, 201, tokenRes.body);
    await assert.rejects(push('production', tokenRes.json.token), /denied|403|DENIED/i);

    const listed = await skopeo([
      'list-tags',
      '--tls-verify=false',
      creds(server.token),
      `docker://${host}/acme/tagged`,
    ]);
    assert.deepEqual(JSON.parse(listed.stdout).Tags, ['staging', 'v2']);

    await skopeo([
      'delete',
      '--tls-verify=false',
      creds(server.token),
      `docker://${host}/acme/tagged:staging`,
    ]);
    const after = await skopeo([
      'list-tags',
      '--tls-verify=false',
      creds(server.token),
      `docker://${host}/acme/tagged`,
    ]);
    // skopeo deletes by digest: the manifest and every tag naming it go; the version stays on /v1.
    assert.deepEqual(JSON.parse(after.stdout).Tags, []);
    const version = await server.curl([`${server.url}/v1/artifacts/acme/tagged/versions/1`]);
    assert.equal(version.status, 200);
  });

  test('a version published over /v1 is pulled with skopeo through its generated manifest', {
    timeout: T,
  }, async () => {
    const weights = randomBytes(200_003);
    const digest = sha256(weights);
    const file = join(server.workDir, 'native.bin');
    writeFileSync(file, weights);
    assert.equal((await server.curl(['-T', file, `${server.url}/v1/blobs/${digest}`])).status, 201);
    const published = await server.curl([
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data',
      JSON.stringify({
        kind: 'model',
        files: [{ path: 'weights.bin', digest, size: weights.length }],
        tags: ['latest'],
      }),
      `${server.url}/v1/artifacts/acme/native/versions`,
    ]);
    assert.equal(published.status, 201, published.body);
    const out = join(server.workDir, 'native-layout');
    await skopeo([
      'copy',
      '--src-tls-verify=false',
      `--src-creds=oci:${server.token}`,
      `docker://${host}/acme/native:latest`,
      `oci:${out}:latest`,
    ]);
    assert.deepEqual(readFileSync(join(out, 'blobs', 'sha256', digest.slice(7))), weights);
    const config = readFileSync(join(out, 'blobs', 'sha256', published.json.digest.slice(7)), 'utf8');
    assert.equal(JSON.parse(config).artifact, 'acme/native');
  });

  test('anonymous pulls are refused with a challenge skopeo understands', { timeout: T }, async () => {
    await assert.rejects(
      skopeo(['inspect', '--raw', '--tls-verify=false', '--no-creds', `docker://${host}/acme/tiny-model:v1`]),
      /unauthorized|authentication required|401/i,
    );
  });
});
