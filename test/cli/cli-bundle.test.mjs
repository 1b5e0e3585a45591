/**
 * bin/cli-bundle.mjs: the prebuilt CLI is rebuilt whenever a file it was built from changes, is
 * added to its imports or disappears, and `cairn` gives the same answers with and without it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { build, isFresh } from '../../bin/cli-bundle.mjs';
import { runCli } from './run-cli.mjs';

const root = mkdtempSync(join(tmpdir(), 'cairn-cli-bundle-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(name, text) {
  writeFileSync(join(root, name), text);
  // A second back, so the build that follows never sees it as edited during its own run.
  const past = new Date(Date.now() - 1000);
  utimesSync(join(root, name), past, past);
}

test('a bundle is fresh until one of its sources changes, grows an import, or is deleted', async () => {
  write('main.ts', "import { word } from './dep.ts';\nconsole.log(word satisfies string);\n");
  write('dep.ts', "export const word = 'one';\n");
  const dir = join(root, 'cache');
  const index = await build(dir, { root, entry: join(root, 'main.ts') });
  assert.deepEqual(Object.keys(index.inputs).sort(), ['dep.ts', 'main.ts']);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')), index);
  assert.equal(isFresh(index, dir, root), true);
  assert.equal(execFileSync(process.execPath, [join(dir, index.bundle)], { encoding: 'utf8' }), 'one\n');

  write('dep.ts', "export const word = 'two';\n");
  assert.equal(isFresh(index, dir, root), false, 'an edited source');
  const rebuilt = await build(dir, { root, entry: join(root, 'main.ts') });
  assert.notEqual(rebuilt.bundle, index.bundle);
  assert.equal(execFileSync(process.execPath, [join(dir, rebuilt.bundle)], { encoding: 'utf8' }), 'two\n');

  write('extra.ts', "export const more = '!';\n");
  write('dep.ts', "import { more } from './extra.ts';\nexport const word = 'three' + more;\n");
  const withExtra = await build(dir, { root, entry: join(root, 'main.ts') });
  assert.ok('extra.ts' in withExtra.inputs, 'a new import becomes an input');
  unlinkSync(join(root, 'extra.ts'));
  assert.equal(isFresh(withExtra, dir, root), false, 'a deleted source');

  assert.equal(isFresh(null, dir, root), false);
  // The bundle itself gone (removed by hand, or by another process's clean-up): not fresh.
  write('extra.ts', "export const more = '!';\n");
  const last = await build(dir, { root, entry: join(root, 'main.ts') });
  assert.equal(isFresh(last, dir, root), true);
  unlinkSync(join(dir, last.bundle));
  assert.equal(isFresh(last, dir, root), false, 'a missing bundle');
  assert.equal(isFresh({ inputs: {} }, dir, root), false, 'an index without a bundle');
});

test('a cache that cannot be written fails the build at once (cairn then runs through tsx)', async () => {
  write('main.ts', "console.log('x');\n");
  writeFileSync(join(root, 'not-a-dir'), '');
  await assert.rejects(
    build(join(root, 'not-a-dir', 'cache'), { root, entry: join(root, 'main.ts') }),
    /ENOTDIR/,
  );
});

test('cairn answers the same through the bundle and through tsx', async () => {
  const bundled = await runCli(['--help']);
  const viaTsx = await runCli(['--help'], { env: { CAIRN_CLI_NO_BUNDLE: '1' } });
  assert.equal(bundled.code, 0, bundled.stderr);
  assert.equal(viaTsx.code, 0, viaTsx.stderr);
  assert.equal(bundled.stdout, viaTsx.stdout);
  const unknown = await runCli(['no-such-command']);
  const unknownViaTsx = await runCli(['no-such-command'], { env: { CAIRN_CLI_NO_BUNDLE: '1' } });
  assert.equal(unknown.code, unknownViaTsx.code);
  assert.equal(unknown.stderr, unknownViaTsx.stderr);
});
