/**
 * The provenance commands of `cairn`, end to end against the real `npm start`: an admin adds an
 * openssl-made Ed25519 key, `policy set` gates production, `tag` is refused (exit 3,
 * POLICY_UNSATISFIED), `sign` writes a bundle that @sigstore/verify accepts and the registry
 * accepts, the tag then moves, and `verify --provenance` checks the registry bundle and the
 * attestation offline (pinning the registry key with --key), failing (exit 6) once the
 * attestation's key is revoked.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { CAIRN, runCli } from '../cli/run-cli.mjs';
import { startServer } from './harness.mjs';
import { assertRan, runRecipe, shellBlockAfter } from './readme-recipes.mjs';

const T = 180_000;
let server;
let dir;
const it = (name, fn) => test(name, { timeout: T }, (t) => server.withLog(fn)(t));
const cli = (args) => runCli(args, { cwd: dir, env: { CAIRN_URL: server.url, CAIRN_TOKEN: server.token } });

function ok(run, what) {
  assert.equal(run.code, 0, `${what} exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
}

function sigstoreVerify(bundle, pem) {
  const key = createPublicKey(pem);
  const keyId = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const trust = toTrustMaterial(root, (hint) => {
    if (hint !== keyId) throw new Error(`untrusted key ${hint}`);
    return { publicKey: key, validFor: () => true };
  });
  return new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0 }).verify(
    toSignedEntity(bundleFromJSON(bundle)),
  );
}

describe('cairn sign, key, policy, verify --provenance', () => {
  before(async () => {
    server = await startServer();
    dir = join(server.workDir, 'cli-prov');
    mkdirSync(join(dir, 'model', 'weights'), { recursive: true });
    writeFileSync(join(dir, 'model', 'weights', 'layer.bin'), 'weights v1\n');
    writeFileSync(join(dir, 'model', 'config.json'), '{"layers":1}\n');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'signer.pem')]);
    execFileSync('openssl', [
      'pkey',
      '-in',
      join(dir, 'signer.pem'),
      '-pubout',
      '-out',
      join(dir, 'signer.pub'),
    ]);
  });
  after(() => server?.stop());

  it('signs, gates and verifies a model version', async () => {
    ok(await cli(['push', 'model', 'acme/signed', '--kind', 'model']), 'push');
    const keyId = ok(
      await cli(['key', 'add', 'release-bot', 'signer.pub', '--namespace', 'acme']),
      'key add',
    ).stdout.trim();
    assert.match(keyId, /^[0-9a-f]{64}$/);
    ok(
      await cli(['policy', 'set', 'acme/signed', 'production', '--require', 'model-signing', '--key', keyId]),
      'policy set',
    );

    const refused = await cli(['tag', 'acme/signed@1', 'production']);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /attestations/);

    const signed = ok(
      await cli(['sign', 'acme/signed@1', '--key', 'signer.pem', '--output', 'b.json', '--json']),
      'sign',
    );
    assert.equal(signed.json.verified, true);
    const bundle = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
    assert.ok(sigstoreVerify(bundle, readFileSync(join(dir, 'signer.pub'))).key);

    ok(await cli(['tag', 'acme/signed@1', 'production']), 'tag after signing');
    // Countersigning the registry's SLSA statement instead.
    const slsa = ok(
      await cli(['sign', 'acme/signed@1', '--key', 'signer.pem', '--type', 'slsa', '--json']),
      'sign slsa',
    );
    assert.equal(slsa.json.predicateType, 'https://slsa.dev/provenance/v1');

    const keys = ok(await cli(['key', 'list', '--json']), 'key list').json;
    const registry = keys.find((k) => k.registry && k.current);
    writeFileSync(join(dir, 'registry.pub'), registry.publicKey);
    const verified = ok(
      await cli(['verify', 'acme/signed@1', '--provenance', '--key', 'registry.pub', '--json']),
      'verify --provenance',
    ).json;
    assert.equal(verified.ok, true);
    // The registry's provenance, the model-signing attestation, the countersigned SLSA one.
    assert.deepEqual(verified.signatures.map((s) => s.predicateType).sort(), [
      'https://model_signing/signature/v1.0',
      'https://slsa.dev/provenance/v1',
      'https://slsa.dev/provenance/v1',
    ]);

    // A key that is not the registry's, pinned as if it were: the provenance check fails.
    const wrongPin = await cli(['verify', 'acme/signed@1', '--provenance', '--key', 'signer.pub']);
    assert.equal(wrongPin.code, 6, wrongPin.stdout);

    ok(await cli(['key', 'revoke', keyId]), 'key revoke');
    const afterRevoke = await cli([
      'verify',
      'acme/signed@1',
      '--provenance',
      '--key',
      'registry.pub',
      '--json',
    ]);
    assert.equal(afterRevoke.code, 6);
    assert.match(JSON.stringify(afterRevoke.json.failures), /not trusted/);
  });

  it('README recipe: the same with the cairn CLI (run verbatim, cairn on PATH)', async () => {
    const bin = join(server.workDir, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(CAIRN, join(bin, 'cairn'));
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const script = `export CAIRN_URL=$CAIRN CAIRN_TOKEN=$TOKEN\n${shellBlockAfter('<!-- recipe:cli-sign')}`;
      const run = await runRecipe(server, script, { timeout: T });
      assertRan(run, 'recipe:cli-sign');
      assert.match(run.stdout, /refused: not signed yet/);
      assert.match(
        run.stdout,
        /^ok: provenance: https:\/\/slsa\.dev\/provenance\/v1 signed by [0-9a-f]{64}$/m,
      );
      assert.match(
        run.stdout,
        /^ok: attestation sha256:[0-9a-f]{64} \(release-bot\): https:\/\/model_signing\/signature\/v1\.0/m,
      );
    } finally {
      process.env.PATH = path;
    }
    const tags = await (
      await fetch(`${server.url}/v1/artifacts/acme/vision-model/tags`, {
        headers: { Authorization: `Bearer ${server.token}` },
      })
    ).json();
    assert.ok(tags.production);
  });
});
