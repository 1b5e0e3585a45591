/**
 * `cairn push` of a 300 MiB file, end to end against the real `npm start`, through the counting
 * proxy, with chunking off (chunked pushes: test/e2e/chunks.test.mjs): it goes up as a multipart
 * upload (64 MiB parts, in order, never one PUT); interrupted (SIGINT) after its second part it
 * exits 7 and says how to resume; run again it resumes the open session and sends only the parts
 * the registry does not have; `pull` then gives back exactly the same bytes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startCliRegistry } from '../cli/registry.mjs';
import { runCli, spawnCli } from '../cli/run-cli.mjs';

const MiB = 1024 * 1024;
const SIZE = 300 * MiB;
const PART_SIZE = 64 * MiB; // the server's default UPLOAD_PART_SIZE
const PARTS = Math.ceil(SIZE / PART_SIZE);
const PART_PUT = /^\/v1\/uploads\/upl_[\w-]+\/parts\/\d+$/;

let registry;
let server;
let proxy;
let env;
let file;

async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

before(async () => {
  registry = await startCliRegistry();
  ({ server, proxy, env } = registry);
  file = join(server.workDir, 'model.bin');
  const fd = openSync(file, 'w');
  for (let written = 0; written < SIZE; written += MiB) writeSync(fd, randomBytes(MiB));
  closeSync(fd);
});

after(() => registry?.stop());

test(
  'a 300 MiB push goes multipart, resumes after an interruption, and pulls back identical',
  { timeout: 900_000 },
  () =>
    server.withLog(async () => {
      const digest = await sha256File(file);
      const args = [
        'push',
        file,
        'acme/big-model',
        '--kind',
        'model',
        '--code',
        'none',
        '--chunking',
        'off',
        '--json',
      ];

      // 1. Interrupt the push once two parts have been stored.
      proxy.reset();
      const child = spawnCli(args, { env, cwd: server.workDir });
      child.stdin.end();
      let stored = 0;
      proxy.onResponse = (entry) => {
        if (entry.method === 'PUT' && PART_PUT.test(entry.path) && entry.status === 200 && ++stored === 2) {
          child.kill('SIGINT');
        }
      };
      const first = await child.result;
      proxy.onResponse = null;
      assert.equal(first.code, 7, `interrupted push exits 7\n${first.stderr}`);
      assert.match(first.stderr, /interrupted[\s\S]*run the same command again to resume/);
      assert.equal(proxy.count('PUT', /^\/v1\/blobs\//), 0, 'never a single PUT for 300 MiB');
      assert.equal(proxy.count('POST', /^\/v1\/uploads\/[^/]+\/complete$/), 0);

      // 2. Run it again: the open session is resumed, only the missing parts are sent.
      proxy.reset();
      const second = await runCli(args, { env, cwd: server.workDir });
      assert.equal(second.code, 0, second.stderr);
      const resumed = second.json.upload.resumedParts;
      assert.ok(resumed >= 2, `the registry kept the parts sent before the interruption (${resumed})`);
      const sent = proxy.matching('PUT', PART_PUT).map((r) => Number(r.path.split('/').at(-1)));
      assert.equal(sent.length, PARTS - resumed, `sent ${sent} of ${PARTS} parts`);
      assert.deepEqual(
        sent,
        [...sent].sort((a, b) => a - b),
        'parts go in order',
      );
      assert.equal(Math.max(...sent), PARTS);
      assert.equal(proxy.count('POST', /^\/v1\/uploads\/[^/]+\/complete$/), 1);
      assert.equal(second.json.upload.uploadedBytes, SIZE - resumed * PART_SIZE);
      assert.equal(second.json.version, 1);

      // 3. Pull it back: the same bytes.
      const out = join(server.workDir, 'pulled');
      const pulled = await runCli(['pull', 'acme/big-model@1', '-o', out, '--json'], {
        env,
        cwd: server.workDir,
      });
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(await sha256File(join(out, 'model.bin')), digest);
    })(),
);
