/**
 * Cairn as an OCI registry for Debian's `podman` (4.3, containers/image like skopeo, but the
 * image-building tool people use), daemonless, against the real `npm start` server: an image
 * made here (`podman import` of a tarball: no network, no container run) is pushed, becomes a
 * Cairn version (its layer a file), is removed locally, pulled back, and its layer's bytes are
 * the tarball's. podman runs with its own storage root under the server's scratch dir (the
 * `vfs` driver: no overlay mounts needed), and through the plain-HTTP front like skopeo
 * (test/e2e/http-only-front.mjs). The README's podman recipe is this flow.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startServer } from './harness.mjs';
import { httpOnlyFront } from './http-only-front.mjs';

const run = promisify(execFile);
let server;
let front;

async function podman(args) {
  const root = join(server.workDir, 'podman');
  try {
    return await run(
      'podman',
      ['--storage-driver', 'vfs', '--root', join(root, 'root'), '--runroot', join(root, 'run'), ...args],
      { env: { ...process.env, HOME: server.workDir }, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    err.message += `\n${err.stderr ?? ''}\n${server.logTail(30)}`;
    throw err;
  }
}

before(async () => {
  server = await startServer();
  front = await httpOnlyFront(server.url);
});

after(async () => {
  await front?.close();
  await server?.stop();
});

test('podman push → a Cairn version; rmi; podman pull → the same image and layer bytes', {
  timeout: 300_000,
}, async () => {
  const dir = join(server.workDir, 'image');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'weights.bin'), randomBytes(256 * 1024));
  await run('tar', ['-C', dir, '-cf', join(server.workDir, 'layer.tar'), 'weights.bin']);
  await podman(['import', join(server.workDir, 'layer.tar'), 'localhost/tiny-model:1']);
  const ref = `${front.host}/acme/podman-model:1.0`;
  const creds = `--creds=cairn:${server.token}`;
  await podman(['push', '--tls-verify=false', creds, 'localhost/tiny-model:1', `docker://${ref}`]);

  // The pushed tag is a Cairn version whose one file is the image's layer.
  const auth = { Authorization: `Bearer ${server.token}` };
  const version = await (
    await fetch(`${server.url}/v1/artifacts/acme/podman-model/versions/1.0`, { headers: auth })
  ).json();
  const cairn = await (await fetch(`${server.url}/v1/manifests/${version.digest}`, { headers: auth })).json();
  assert.equal(cairn.files.length, 1);
  const { stdout: raw } = await run(
    'skopeo',
    ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', creds, `docker://${ref}`],
    { env: { ...process.env, HOME: server.workDir } },
  );
  const manifest = JSON.parse(raw);
  assert.equal(manifest.layers[0].digest, cairn.files[0].digest);

  await podman(['rmi', 'localhost/tiny-model:1']);
  await podman(['pull', '--tls-verify=false', creds, ref]);
  const { stdout: inspected } = await podman(['image', 'inspect', ref]);
  const [image] = JSON.parse(inspected);
  assert.equal(image.RepoTags[0], ref);
  // podman stores layers uncompressed; the pushed layer is what it sent: fetch it and compare.
  const layer = Buffer.from(
    await (
      await fetch(`${server.url}/v2/acme/podman-model/blobs/${manifest.layers[0].digest}`, { headers: auth })
    ).arrayBuffer(),
  );
  assert.equal(`sha256:${createHash('sha256').update(layer).digest('hex')}`, manifest.layers[0].digest);
  assert.equal(image.RootFS.Layers.length, 1);
});
