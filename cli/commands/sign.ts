/**
 * `cairn sign <ref> --key key.pem [--type model-signing|slsa]`: sign a statement about a version
 * and attach it. The model-signing statement is built here from the manifest (checked against its
 * digest), never taken on the registry's word; an SLSA statement is the registry's, checked to be
 * about this version before signing. The bundle is written to a file and posted; the registry
 * verifies it on arrival.
 */
import { writeFile } from 'node:fs/promises';
import { signStatement } from '../../src/services/provenance/bundle';
import { modelSigningStatement } from '../../src/services/provenance/model-signing';
import { encodeStatement } from '../../src/services/provenance/statement';
import { checkSubject } from '../../src/services/provenance/subject';
import { defineCommand } from '../command';
import { CliError, EXIT, usageError } from '../exit-codes';
import { loadSigningKey } from '../provenance';
import { fetchManifest, normalizeRef } from '../refs';

export const sign = defineCommand({
  name: 'sign',
  summary: 'sign a version (model-signing or SLSA statement) and attach the bundle',
  help: `cairn sign <ref> --key key.pem [--type model-signing|slsa] [--output bundle.json] [--no-upload]
  --key      an ECDSA P-256 or Ed25519 private key (PEM); its public key must be registered
             (cairn key add) for the registry to accept the bundle
  --type     model-signing (default: the OpenSSF model-signing v1.0 statement of the files)
             or slsa (the registry's provenance statement, countersigned)
  --output   where to write the Sigstore bundle (default <name>@<version>.<type>.sigstore.json)`,
  options: {
    key: { type: 'string' },
    type: { type: 'string' },
    output: { type: 'string' },
    'no-upload': { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(ctx, values, [target = '']) {
    if (!values.key) throw usageError('--key <private key PEM> is required');
    const type = values.type ?? 'model-signing';
    if (type !== 'model-signing' && type !== 'slsa') throw usageError('--type is model-signing or slsa');
    const key = await loadSigningKey(values.key);
    const client = await ctx.client();
    const resolved = await client.resolve(normalizeRef(target));
    const { manifest } = await fetchManifest(client, resolved.digest);
    const payload =
      type === 'model-signing'
        ? encodeStatement(
            await modelSigningStatement(
              resolved.artifact.slice(resolved.artifact.indexOf('/') + 1),
              manifest.files,
            ),
          )
        : await client.statement(resolved.artifact, resolved.digest, 'slsa');
    const about = await checkSubject(payload, { digest: resolved.digest, files: manifest.files });
    if (!about.ok) throw new CliError(EXIT.VERIFY_FAILED, `refusing to sign: ${about.message}`);
    const bytes = new TextEncoder().encode(JSON.stringify(await signStatement(key, payload)));
    const output =
      values.output ?? `${resolved.artifact.replace('/', '_')}@${resolved.version}.${type}.sigstore.json`;
    await writeFile(output, bytes);
    ctx.out.info(
      `signed ${resolved.artifact}@${resolved.version} (${type}) with key ${key.keyId}: ${output}`,
    );
    if (values['no-upload']) {
      ctx.out.result(output, { bundle: output, keyId: key.keyId });
      return;
    }
    const attestation = await client.attest(resolved.artifact, resolved.digest, bytes);
    ctx.out.result(
      `attested ${attestation.digest} (${attestation.predicateType}) signer ${attestation.signer}`,
      {
        ...attestation,
        bundle: output,
      },
    );
  },
});
