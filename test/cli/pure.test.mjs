/**
 * Unit tests of the CLI's pure pieces (no server): path safety, progress formatting, key=value
 * parsing, ref normalisation, bounded parallelism, and how errors map to exit codes.
 * The CLI is TypeScript: tsx's loader is registered first, as bin/cairn.mjs does.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { register } from 'tsx/esm/api';

register();
const { assertRealParentInside, safeJoin, unsafePathReason } = await import('../../cli/safe-path.ts');
const { formatDuration, renderProgress } = await import('../../cli/progress.ts');
const { formatBytes } = await import('../../src/lib/format.ts');
const { parseInputs, parseMetrics, parseParams, parseScalar } = await import('../../cli/values.ts');
const { normalizeRef, splitTagRef } = await import('../../cli/refs.ts');
const { mapLimit } = await import('../../cli/pool.ts');
const { explain } = await import('../../cli/errors.ts');
const { redactRemote } = await import('../../cli/git.ts');
const { CliError, EXIT } = await import('../../cli/exit-codes.ts');
const { CairnError } = await import('../../src/client/index.ts');
const { HashCache } = await import('../../cli/hash-cache.ts');

test('safeJoin keeps ordinary paths under the root and refuses every way out', () => {
  assert.equal(safeJoin('/data/out', 'a/b.csv'), '/data/out/a/b.csv');
  for (const bad of [
    '../x',
    'a/../../x',
    'a/./b',
    '/etc/passwd',
    'a//b',
    '',
    'a\\..\\b',
    'C:/x',
    'x\0y',
    '..',
  ]) {
    assert.ok(unsafePathReason(bad), `${JSON.stringify(bad)} is unsafe`);
    assert.throws(
      () => safeJoin('/data/out', bad),
      (err) => err instanceof CliError && err.exitCode === EXIT.VERIFY_FAILED,
    );
  }
  assert.equal(unsafePathReason('..hidden/ok..txt'), null, 'dots inside a name are fine');
});

test('a directory inside the target that is a symlink to elsewhere is refused', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'cairn-safe-path-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'out');
  mkdirSync(join(root, 'real'), { recursive: true });
  mkdirSync(join(base, 'elsewhere'));
  symlinkSync(join(base, 'elsewhere'), join(root, 'link'));
  await assertRealParentInside(root, join(root, 'real'), 'real/a.csv');
  await assert.rejects(
    assertRealParentInside(root, join(root, 'link'), 'link/a.csv'),
    (err) => err instanceof CliError && err.exitCode === EXIT.VERIFY_FAILED,
  );
});

test('progress: bytes, durations and the bar line', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(200 * 1024 * 1024), '200.0 MiB');
  assert.equal(formatDuration(65), '01:05');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(Number.NaN), '--:--');
  const line = renderProgress({
    label: 'upload',
    doneBytes: 5 * 1024 * 1024,
    totalBytes: 10 * 1024 * 1024,
    doneItems: 3,
    totalItems: 7,
    elapsedMs: 1000,
  });
  assert.equal(
    line,
    `upload [${'#'.repeat(12)}${'-'.repeat(12)}]  50% 5.00 MiB/10.0 MiB 5.00 MiB/s ETA 00:01 3/7`,
  );
  const empty = renderProgress({
    label: 'x',
    doneBytes: 0,
    totalBytes: 0,
    doneItems: 0,
    totalItems: 0,
    elapsedMs: 0,
  });
  assert.match(empty, /100% 0 B\/0 B 0 B\/s ETA --:-- 0\/0$/);
});

test('key=value values are typed the way a shell user means them', () => {
  assert.deepEqual(parseParams(['lr=0.1', 'depth=6', 'opt=adam', 'flag=true', 'layers=[64,32]', 'eq=a=b']), {
    lr: 0.1,
    depth: 6,
    opt: 'adam',
    flag: true,
    layers: [64, 32],
    eq: 'a=b',
  });
  assert.equal(parseScalar('007x'), '007x');
  assert.equal(parseScalar('{broken'), '{broken');
  assert.deepEqual(parseMetrics(['auc=0.91', 'loss=-1e-3']), { auc: 0.91, loss: -0.001 });
  assert.throws(
    () => parseMetrics(['auc=high']),
    (err) => err.exitCode === EXIT.USAGE,
  );
  assert.throws(
    () => parseParams(['novalue']),
    (err) => err.exitCode === EXIT.USAGE,
  );
  assert.deepEqual(parseInputs(['acme/d:latest', 'acme/d@3=training']), [
    { ref: 'acme/d:latest' },
    { ref: 'acme/d@3', role: 'training' },
  ]);
});

test('refs: a bare name means :latest; malformed refs are usage errors', () => {
  assert.equal(normalizeRef('acme/model'), 'acme/model:latest');
  assert.equal(normalizeRef('acme/model@12'), 'acme/model@12');
  assert.equal(normalizeRef(`acme/model@sha256:${'a'.repeat(64)}`), `acme/model@sha256:${'a'.repeat(64)}`);
  for (const bad of ['Acme/model', 'acme', 'acme/model@latest', 'acme/model:', 'a/b/c']) {
    assert.throws(
      () => normalizeRef(bad),
      (err) => err.exitCode === EXIT.USAGE,
      bad,
    );
  }
  assert.deepEqual(splitTagRef('acme/m:production'), ['acme/m', 'production']);
  assert.deepEqual(splitTagRef('acme/m@3'), ['acme/m', null]);
});

test('mapLimit keeps at most `limit` in flight, keeps order, and stops on the first failure', async () => {
  let inFlight = 0;
  let peak = 0;
  const results = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    return n * 2;
  });
  assert.deepEqual(results, [2, 4, 6, 8, 10, 12, 14]);
  assert.equal(peak, 3);
  const started = [];
  await assert.rejects(
    mapLimit([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(started, [1, 2], 'nothing starts after a failure');
});

test('errors map to the documented exit codes with a hint', () => {
  const settings = { url: 'http://r', token: 't', tokenSource: 'CAIRN_TOKEN' };
  const api = (status, code, details = {}) =>
    explain(new CairnError(status, code, 'msg', details, 'rid'), settings);
  assert.equal(api(401, 'UNAUTHORIZED').exitCode, EXIT.AUTH);
  assert.match(api(401, 'UNAUTHORIZED').hint, /CAIRN_TOKEN/);
  assert.match(api(403, 'DENIED', { required: 'promote' }).hint, /"promote" scope/);
  assert.equal(api(404, 'TAG_UNKNOWN').exitCode, EXIT.NOT_FOUND);
  assert.match(api(404, 'TAG_UNKNOWN', { ref: 'acme/m:latest' }).hint, /--tag latest/);
  assert.equal(api(422, 'REF_UNKNOWN').exitCode, EXIT.NOT_FOUND);
  assert.equal(api(409, 'TAG_CONFLICT').exitCode, EXIT.CONFLICT);
  assert.equal(api(400, 'DIGEST_MISMATCH').exitCode, EXIT.VERIFY_FAILED);
  assert.equal(api(0, 'NETWORK_ERROR').exitCode, EXIT.NETWORK);
  assert.match(api(0, 'ABORTED').hint, /resume/);
  assert.equal(api(500, 'INTERNAL_ERROR').exitCode, EXIT.ERROR);
  assert.match(api(500, 'INTERNAL_ERROR').message, /request id rid/);
});

test('git remotes are recorded without credentials', () => {
  assert.equal(redactRemote('https://user:s3cret@git.example/acme/x.git'), 'https://git.example/acme/x.git');
  assert.equal(redactRemote('git@github.com:acme/x.git'), 'git@github.com:acme/x.git');
});

test('the hash cache trusts only an unchanged file, never a racily fresh one, and survives a reload', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'cairn-hash-cache-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const file = join(base, 'a.csv');
  const store = join(base, 'cache', 'hashes.json');
  writeFileSync(file, 'one\n');
  const cache = await HashCache.load(store);
  const stats = statSync(file, { bigint: true });
  cache.record(file, stats, 'sha256:one', Date.now());
  assert.equal(cache.lookup(file, stats), null, 'changed in the last 2 s: not trusted');
  cache.record(file, stats, 'sha256:one', Date.now() + 60_000);
  assert.equal(cache.lookup(file, stats), 'sha256:one');
  await cache.save();
  const reloaded = await HashCache.load(store);
  assert.equal(reloaded.lookup(file, stats), 'sha256:one');
  writeFileSync(file, 'two\n');
  assert.equal(reloaded.lookup(file, statSync(file, { bigint: true })), null, 'rewritten: hashed again');
  writeFileSync(store, '{not json');
  assert.equal((await HashCache.load(store)).lookup(file, stats), null, 'a corrupt cache is ignored');
});
