/**
 * `cairn pull <ref> [-o dir]`: every file of a version, verified while it streams, written
 * atomically, never outside the target directory; files already there with the right digest
 * are skipped, so a pull that was interrupted just runs again.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ManifestFile } from '../../src/client/index';
import { formatBytes } from '../../src/lib/format';
import { defineCommand } from '../command';
import { downloadTo } from '../download';
import { usageError } from '../exit-codes';
import { hashFile } from '../hashing';
import { mapLimit } from '../pool';
import { resolveManifest } from '../refs';
import { assertRealParentInside, safeJoin } from '../safe-path';

/** Already there with the right bytes? (size first: a cheap way to skip the hashing) */
async function isPresent(dest: string, file: ManifestFile): Promise<boolean> {
  const info = await stat(dest).catch(() => null);
  if (!info?.isFile() || info.size !== file.size) return false;
  return (await hashFile(dest)).digest === file.digest;
}

export const pull = defineCommand({
  name: 'pull',
  summary: 'download every file of a version, verified, into a directory',
  help: `cairn pull <ref> [-o <dir>] [--parallel <n>]
  -o, --output <dir>   where to write the files (default: the current directory)
  --parallel <n>       downloads in flight (default: 8)`,
  options: {
    output: { type: 'string', short: 'o' },
    parallel: { type: 'string' },
  },
  positionals: [1, 1],
  async run(ctx, values, [ref = '']) {
    const parallel = Number(values.parallel ?? 8);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)
      throw usageError('--parallel is 1 to 64');
    const root = resolve(values.output ?? '.');
    const client = await ctx.client();
    const { resolved, manifest } = await resolveManifest(client, ref);
    // Every destination is checked before the first byte is written.
    const plan = manifest.files.map((file) => ({ file, dest: safeJoin(root, file.path) }));
    await mkdir(root, { recursive: true });

    const progress = ctx.out.progress(
      'pull',
      manifest.files.reduce((n, f) => n + f.size, 0),
      manifest.files.length,
    );
    let downloaded = 0;
    let skipped = 0;
    let bytes = 0;
    // Each directory is created and checked once, however many files it holds.
    const ready = new Map<string, Promise<void>>();
    const prepare = (parent: string, path: string) => {
      let done = ready.get(parent);
      if (!done) {
        done = mkdir(parent, { recursive: true }).then(() => assertRealParentInside(root, parent, path));
        ready.set(parent, done);
      }
      return done;
    };
    await mapLimit(plan, parallel, async ({ file, dest }) => {
      ctx.signal.throwIfAborted();
      await prepare(dirname(dest), file.path);
      if (await isPresent(dest, file)) {
        skipped++;
        progress.addBytes(file.size);
      } else {
        const res = await client.getBlob(file.digest, { signal: ctx.signal });
        await downloadTo(res, dest, file, (n) => progress.addBytes(n));
        downloaded++;
        bytes += file.size;
      }
      progress.addItem();
    });
    progress.finish();

    ctx.out.result(
      `${resolved.artifact}@${resolved.version} → ${root}\n` +
        `${downloaded} file(s) downloaded (${formatBytes(bytes)}), ${skipped} already present`,
      { ...resolved, output: root, files: manifest.files.length, downloaded, skipped, bytes },
    );
  },
});
