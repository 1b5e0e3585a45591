/**
 * Cairn as a Git LFS server, end to end with the real `git` and `git lfs` clients against the
 * real `npm start`. A repository tracks *.pkl and *.csv with lfs.url = …/lfs/acme/models and
 * pushes 50 files (an empty one and a 50 MiB one among them) to a local bare remote, the LFS
 * objects to Cairn; a fresh clone pulls them back byte-identical and `git lfs fsck` passes.
 *
 * Credentials: git's `store` helper filled with `git credential approve`, as the README says
 * (see git-lfs.mjs); git is non-interactive and isolated from the machine's configuration.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { git, gitHome, gitOk as gitOkIn, lfsRepo as lfsRepoIn, rememberToken } from './git-lfs.mjs';
import { startServer } from './harness.mjs';

const MiB = 1024 * 1024;
const T = 300_000;

let server;
let home;
let lfsUrl;

const gitOk = (args, options = {}) => gitOkIn(args, { homeDir: home, ...options });
const lfsRepo = (name, files) => lfsRepoIn(join(server.workDir, name), lfsUrl, files, home);

async function missing(oids) {
  const res = await server.curl([
    '-H',
    'Content-Type: application/json',
    '--data-binary',
    JSON.stringify({ digests: oids.map((o) => `sha256:${o}`) }),
    `${server.url}/v1/blobs/check`,
  ]);
  assert.equal(res.status, 200, res.body);
  return res.json.missing;
}

/** PUT requests git-lfs made, from its GIT_TRACE output. */
const puts = (trace) => trace.split('\n').filter((l) => /HTTP: PUT /.test(l)).length;

const it = (name, fn) => test(name, { timeout: T }, (t) => server.withLog(fn)(t));

describe('git lfs against Cairn', () => {
  let repo;
  const files = [
    ['empty.csv', 0],
    ['models/big.pkl', 50 * MiB],
  ];
  for (let i = 0; i < 24; i++) files.push([`data/part-${i}.csv`, 1 + i * 997]);
  for (let i = 0; i < 24; i++) files.push([`models/layer-${i}.pkl`, 4096 + i * 31_337]);

  before(async () => {
    server = await startServer();
    lfsUrl = `${server.url}/lfs/acme/models`;
    home = await gitHome(join(server.workDir, 'home'), server.url, server.token);
  });
  after(() => server?.stop());

  it('push 50 files (an empty one, a 50 MiB one) → every LFS object stored in Cairn, no lock warning', async () => {
    assert.equal(files.length, 50);
    repo = await lfsRepo('work', files);
    await gitOk(['config', 'lfs.locksverify', 'true'], { cwd: repo.dir });
    const lfsFiles = (await gitOk(['lfs', 'ls-files', '-n'], { cwd: repo.dir })).stdout.trim().split('\n');
    // git-lfs keeps an empty file as an empty blob in git, not as a pointer: 49 LFS objects.
    assert.equal(lfsFiles.length, 49);
    assert.ok(!lfsFiles.includes('empty.csv'));

    const pushed = await gitOk(['push', '-u', 'origin', 'main'], { cwd: repo.dir, env: { GIT_TRACE: '1' } });
    assert.equal(puts(pushed.stderr), 49);
    assert.doesNotMatch(pushed.stderr, /warning|locking api|locksverify/i);
    const nonEmpty = Object.entries(repo.oids).filter(([path]) => path !== 'empty.csv');
    assert.deepEqual(await missing(nonEmpty.map(([, oid]) => oid)), []);
  });

  it('push again uploads nothing; an LFS object is publishable with no re-upload', async () => {
    const again = await gitOk(['lfs', 'push', '--all', 'origin'], { cwd: repo.dir, env: { GIT_TRACE: '1' } });
    assert.match(again.stderr, /HTTP: POST .*objects\/batch/);
    assert.equal(puts(again.stderr), 0);

    const big = repo.oids['models/big.pkl'];
    const res = await server.curl([
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      JSON.stringify({
        kind: 'model',
        files: [
          { path: 'big.pkl', digest: `sha256:${big}`, size: 50 * MiB },
          { path: 'part-3.csv', digest: `sha256:${repo.oids['data/part-3.csv']}`, size: 1 + 3 * 997 },
        ],
      }),
      `${server.url}/v1/artifacts/acme/models/versions`,
    ]);
    assert.equal(res.status, 201, res.body);
    assert.equal(res.json.version, 1);
  });

  it('a fresh clone pulls every object back byte-identical; git lfs fsck passes', async () => {
    const fresh = join(server.workDir, 'fresh');
    await gitOk(['clone', '-q', repo.remote, fresh], { env: { GIT_LFS_SKIP_SMUDGE: '1' } });
    assert.match(readFileSync(join(fresh, 'models/big.pkl'), 'utf8'), /^version https:\/\/git-lfs/);
    await gitOk(['config', 'lfs.url', lfsUrl], { cwd: fresh });
    await gitOk(['lfs', 'pull'], { cwd: fresh });
    await gitOk(['lfs', 'fsck'], { cwd: fresh });
    for (const [path, oid] of Object.entries(repo.oids)) {
      const bytes = readFileSync(join(fresh, path));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), oid, path);
    }
    assert.equal(readFileSync(join(fresh, 'empty.csv')).length, 0);
  });

  it('locks: lock, list, push past our own lock, unlock', async () => {
    await gitOk(['lfs', 'lock', 'data/part-1.csv'], { cwd: repo.dir });
    const listed = await gitOk(['lfs', 'locks'], { cwd: repo.dir });
    assert.match(listed.stdout, /data\/part-1\.csv\s+admin\s+ID:/);
    writeFileSync(join(repo.dir, 'data/part-1.csv'), 'changed under our own lock\n');
    await gitOk(['commit', '-q', '-am', 'edit a locked file'], { cwd: repo.dir });
    const pushed = await gitOk(['push', 'origin', 'main'], { cwd: repo.dir });
    assert.doesNotMatch(pushed.stderr, /warning|locking api/i);
    await gitOk(['lfs', 'unlock', 'data/part-1.csv'], { cwd: repo.dir });
    assert.equal((await gitOk(['lfs', 'locks'], { cwd: repo.dir })).stdout.trim(), '');
  });

  it('a wrong password → git reports an authentication failure and nothing is stored', async () => {
    const badHome = join(server.workDir, 'home-bad');
    mkdirSync(badHome);
    copyFileSync(join(home, '.gitconfig'), join(badHome, '.gitconfig'));
    await rememberToken(badHome, server.url, 'cairn_wrong');
    const bad = await lfsRepo('bad', [
      ['secret.pkl', 1234],
      ['secret.csv', 99],
    ]);
    const res = await git(['push', 'origin', 'main'], { cwd: bad.dir, homeDir: badHome });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /credentials for .* not found|authentication required/i, res.stderr);
    const oids = Object.values(bad.oids);
    assert.deepEqual(
      await missing(oids),
      oids.map((oid) => `sha256:${oid}`),
    );
  });
});
