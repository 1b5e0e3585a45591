/**
 * `cairn verify <ref | manifest URL>`: re-hash the manifest and every file (and lockfile) it
 * names, streaming, and say which do not match. Exit 6 if any does not. With --provenance, also
 * check offline the registry's provenance bundle and every attestation: signed by a trusted key
 * (--key pins the registry's; otherwise the keys the registry lists) and about exactly this
 * manifest (cli/provenance.ts).
 */
import { CairnError } from '../../src/client/index';
import { digestOfManifestUrl } from '../../src/contract/urls';
import { formatBytes } from '../../src/lib/format';
import { defineCommand } from '../command';
import { verifyBody } from '../download';
import { CliError, EXIT, usageError } from '../exit-codes';
import { mapLimit } from '../pool';
import { checkBundle, keyResolver, loadPublicKey } from '../provenance';
import { fetchManifest, normalizeRef } from '../refs';

export const verify = defineCommand({
  name: 'verify',
  summary: 're-hash a version: its manifest and every file it names',
  help: `cairn verify <ref | manifest URL> [--parallel <n>] [--provenance [--key registry.pub]]
  A manifest URL is what push prints (…/v1/manifests/sha256:…); it is fetched from the
  configured registry.
  --provenance  also check the registry-signed provenance and every attestation, offline
  --key         the registry's public key (PEM) to trust; default: the key it lists`,
  options: { parallel: { type: 'string' }, provenance: { type: 'boolean' }, key: { type: 'string' } },
  positionals: [1, 1],
  async run(ctx, values, [target = '']) {
    const parallel = Number(values.parallel ?? 8);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)
      throw usageError('--parallel is 1 to 64');
    const client = await ctx.client();
    const fromUrl = digestOfManifestUrl(target);
    const digest = fromUrl ?? (await client.resolve(normalizeRef(target))).digest;
    const { manifest, canonical } = await fetchManifest(client, digest);
    const blobs = [
      ...manifest.files,
      ...(manifest.environment?.lockfiles ?? []).map((l) => ({
        path: `lockfile ${l.path}`,
        digest: l.digest,
        size: -1,
      })),
    ];
    const progress = ctx.out.progress(
      'verify',
      manifest.files.reduce((n, f) => n + f.size, 0),
      blobs.length,
    );
    const failures: { path: string; problem: string }[] = [];
    await mapLimit(blobs, parallel, async (blob) => {
      ctx.signal.throwIfAborted();
      try {
        const res = await client.getBlob(blob.digest, { signal: ctx.signal });
        // Lockfiles carry no size in the manifest: the stored size is the one to check.
        const size = blob.size >= 0 ? blob.size : Number(res.headers.get('content-length'));
        await verifyBody(res, { digest: blob.digest, size }, blob.path, (n) => progress.addBytes(n));
      } catch (err) {
        if (err instanceof CliError && err.exitCode === EXIT.VERIFY_FAILED)
          failures.push({ path: blob.path, problem: err.message });
        else if (err instanceof CairnError && err.status === 404)
          failures.push({ path: blob.path, problem: `${blob.digest} is not stored` });
        else throw err;
      }
      progress.addItem();
    });
    progress.finish();
    const total = manifest.files.reduce((n, f) => n + f.size, 0);
    const signatures: { what: string; keyId: string; predicateType?: string }[] = [];
    const report = {
      digest,
      canonical,
      files: manifest.files.length,
      bytes: total,
      checked: blobs.length,
      failures,
      ...(values.provenance ? { signatures } : {}),
    };
    if (!canonical)
      failures.push({ path: '(manifest)', problem: 'its bytes are not canonical JSON (RFC 8785)' });
    if (values.provenance) {
      const keys = await client.listKeys();
      const pinned = values.key ? await loadPublicKey(values.key) : null;
      const checks = [
        {
          what: 'provenance',
          bundle: await client.provenance(manifest.artifact, digest),
          trust: keyResolver(keys, pinned),
        },
      ];
      for (const a of await client.listAttestations(manifest.artifact, digest)) {
        const bytes = await client.getAttestation(manifest.artifact, digest, a.digest);
        checks.push({
          what: `attestation ${a.digest} (${a.signer})`,
          bundle: JSON.parse(new TextDecoder().decode(bytes)),
          trust: keyResolver(keys, null),
        });
      }
      for (const { what, bundle, trust } of checks) {
        const checked = await checkBundle(bundle, trust, digest, manifest);
        if (checked.ok) signatures.push({ what, keyId: checked.keyId, predicateType: checked.predicateType });
        else failures.push({ path: what, problem: checked.problem ?? 'invalid' });
      }
      if (!pinned) ctx.out.info('trusting the registry key the registry lists; pass --key to pin it');
    }
    ctx.out.result(
      () =>
        failures.length === 0
          ? [
              `ok: manifest ${digest} and ${blobs.length} blob(s) (${formatBytes(total)}) verified`,
              ...signatures.map((s) => `ok: ${s.what}: ${s.predicateType} signed by ${s.keyId}`),
            ].join('\n')
          : failures.map((f) => `FAILED ${f.path}: ${f.problem}`).join('\n'),
      { ...report, ok: failures.length === 0 },
    );
    if (failures.length > 0)
      throw new CliError(EXIT.VERIFY_FAILED, `${failures.length} of ${blobs.length + 1} check(s) failed`);
  },
});
