/**
 * `npm start` gives the registry a signing key whenever .dev.vars has none, also when the file
 * exists with other values (scripts/dev-vars.mjs), and never replaces one.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureSigningKey } from '../../scripts/dev-vars.mjs';

test('a .dev.vars with other values and no key gets one appended, the rest untouched; a second run keeps it', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cairn-devvars-')), '.dev.vars');
  writeFileSync(file, '# mine\nADMIN_TOKEN=abc\nOTHER=1'); // no trailing newline
  assert.equal(ensureSigningKey(file), true);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.startsWith('# mine\nADMIN_TOKEN=abc\nOTHER=1\nREGISTRY_SIGNING_KEY='));
  const jwk = JSON.parse(/^REGISTRY_SIGNING_KEY='(.*)'$/m.exec(text)[1]);
  assert.equal(createPrivateKey({ key: jwk, format: 'jwk' }).asymmetricKeyDetails.namedCurve, 'prime256v1');
  assert.equal(ensureSigningKey(file), false);
  assert.equal(readFileSync(file, 'utf8'), text);
});
