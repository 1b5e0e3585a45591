/**
 * `cairn verify <ref | manifest URL>`: re-hash the manifest and every file (and lockfile) it
 * names, streaming, and say which do not match. Exit 6 if any does not.
 */
import { CairnError } from '../../src/client/index';
import { digestOfManifestUrl } from '../../src/contract/urls';
import { formatBytes } from '../../src/lib/format';
import { defineCommand } from '../command';
import { verifyBody } from '../download';
import { CliError, EXIT, usageError } from '../exit-codes';
import { mapLimit } from '../pool';
import { fetchManifest, normalizeRef } from '../refs';

export const verify = defineCommand({
  name: 'verify',
  summary: 're-hash a version: its manifest and every file it names',
  help: `cairn verify <ref | manifest URL> [--parallel <n>]
  A manifest URL is what push prints (…/v1/manifests/sha256:…); it is fetched from the
  configured registry.`,
  options: { parallel: { type: 'string' } },
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
    const report = {
      digest,
      canonical,
      files: manifest.files.length,
      bytes: total,
      checked: blobs.length,
      failures,
    };
    if (!canonical)
      failures.push({ path: '(manifest)', problem: 'its bytes are not canonical JSON (RFC 8785)' });
    ctx.out.result(
      () =>
        failures.length === 0
          ? `ok: manifest ${digest} and ${blobs.length} blob(s) (${formatBytes(total)}) verified`
          : failures.map((f) => `FAILED ${f.path}: ${f.problem}`).join('\n'),
      { ...report, ok: failures.length === 0 },
    );
    if (failures.length > 0)
      throw new CliError(EXIT.VERIFY_FAILED, `${failures.length} of ${blobs.length + 1} check(s) failed`);
  },
});
