/**
 * `cairn push <file|dir> <ns/name>`: hash every file (streamed), upload only what the registry
 * lacks, then publish the version with its inputs, code, environment, params, metrics and tags.
 */
import { stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { Code, Environment, Kind, PublishRequest } from '../../src/client/index';
import { isArtifactName, NAME_RULE } from '../../src/contract/grammar';
import { tableFormatOf } from '../../src/contract/tables';
import { formatBytes } from '../../src/lib/format';
import { CHUNK_THRESHOLD } from '../chunked-upload';
import { defineCommand } from '../command';
import { CliError, EXIT, usageError } from '../exit-codes';
import { type LocalFile, listFiles } from '../files';
import { gitInfo } from '../git';
import { HashCache } from '../hash-cache';
import { type ChunkList, type Hashed, hashFile } from '../hashing';
import { findLockfiles } from '../lockfiles';
import { mapLimit } from '../pool';
import { DEFAULT_SINGLE_LIMIT, Uploader } from '../upload';
import { parseInputs, parseMetrics, parseParams, readParamsFile } from '../values';

const KINDS: readonly Kind[] = ['dataset', 'model', 'other'];
/** Hashing is CPU on one core and I/O: a few files at a time keep the disk busy without thrashing. */
const HASH_PARALLEL = 4;

export const push = defineCommand({
  name: 'push',
  summary: 'upload a file or directory (only what is missing) and publish it as a version',
  help: `cairn push <file|dir> <ns/name> [options]
  --kind dataset|model|other      what the version is (default: other)
  --input <ref>[=<role>]          an input version, e.g. acme/churn-data:latest=training (repeatable)
  --param <key>=<value>           a parameter; numbers, booleans and JSON are typed (repeatable)
  --params <file.json|yaml>       parameters from a file (--param wins on the same key)
  --metric <key>=<number>         a metric annotation (repeatable)
  --lockfile <path>|auto          an environment lockfile (repeatable); auto: requirements.txt,
                                  uv.lock, poetry.lock, Pipfile.lock, environment.yml and
                                  package-lock.json next to the code (git top level, else cwd)
  --image <ref>                   the container image the version was built in
  --tag <tag>                     move this tag to the new version (repeatable)
  --key <column>                  the key column of every table pushed (CSV/TSV, JSON Lines,
                                  Parquet), so a diff counts changed rows (repeatable: a
                                  composite key)
  --code auto|none                record the git remote, commit and dirty state (default: auto)
  --code-path <path>              the script that produced it, e.g. train.py
  --parallel <n>                  uploads in flight (default: 8)
  --chunking auto|off             auto: files of 16 MiB or more go up as content-defined chunks,
                                  only those the registry lacks (default); off: whole files
  --rehash                        hash every file again, ignoring the cache of unchanged files`,
  options: {
    kind: { type: 'string' },
    input: { type: 'string', multiple: true },
    param: { type: 'string', multiple: true },
    params: { type: 'string' },
    metric: { type: 'string', multiple: true },
    lockfile: { type: 'string', multiple: true },
    image: { type: 'string' },
    tag: { type: 'string', multiple: true },
    key: { type: 'string', multiple: true },
    code: { type: 'string' },
    'code-path': { type: 'string' },
    parallel: { type: 'string' },
    chunking: { type: 'string' },
    rehash: { type: 'boolean' },
  },
  positionals: [2, 2],
  async run(ctx, values, [target = '', name = '']) {
    const kind = (values.kind ?? 'other') as Kind;
    if (!KINDS.includes(kind)) throw usageError(`--kind must be one of ${KINDS.join(', ')}`);
    const codeMode = values.code ?? 'auto';
    if (codeMode !== 'auto' && codeMode !== 'none') throw usageError('--code is auto or none');
    const parallel = Number(values.parallel ?? 8);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)
      throw usageError('--parallel is 1 to 64');
    const chunking = (values.chunking ?? 'auto') !== 'off';
    if (!['auto', 'off'].includes(values.chunking ?? 'auto')) throw usageError('--chunking is auto or off');
    if (!isArtifactName(name)) {
      throw usageError(`"${name}" is not an artifact name`, `names are ns/name; ${NAME_RULE}`);
    }
    const params = {
      ...(values.params ? await readParamsFile(values.params) : {}),
      ...parseParams(values.param ?? []),
    };
    const metrics = parseMetrics(values.metric ?? []);

    const git =
      codeMode === 'auto' || values.lockfile?.includes('auto') ? await gitInfo(process.cwd()) : null;
    const codeRoot = git?.topLevel ?? process.cwd();
    const files = await listFiles(target);
    const lockfiles = await lockfilesToSend(values.lockfile ?? [], codeRoot);

    const client = await ctx.client();
    const all = [...files, ...lockfiles];
    const cache = values.rehash ? null : await HashCache.load();
    const hashing = ctx.out.progress(
      'hash',
      all.reduce((n, f) => n + f.size, 0),
      all.length,
    );
    const hashed = await mapLimit(all, HASH_PARALLEL, async (file) => {
      ctx.signal.throwIfAborted();
      const abs = resolve(file.abs);
      const stats = await stat(abs, { bigint: true });
      let digest = cache?.lookup(abs, stats) ?? null;
      let chunks: ChunkList | undefined;
      if (digest === null) {
        const startedAt = Date.now();
        // A large file is chunked in the same pass: its upload then needs no second read to plan.
        const onBytes = (n: number) => hashing.addBytes(n);
        const h: Hashed & { chunks?: ChunkList } =
          chunking && stats.size >= CHUNK_THRESHOLD
            ? await hashFile(abs, onBytes, { chunks: true })
            : await hashFile(abs, onBytes);
        if (h.size !== Number(stats.size))
          throw new CliError(EXIT.ERROR, `${file.abs} changed while it was being hashed`);
        digest = h.digest;
        chunks = h.chunks;
        cache?.record(abs, stats, digest, startedAt);
      } else hashing.addBytes(file.size);
      hashing.addItem();
      return { ...file, size: Number(stats.size), digest, chunks };
    });
    hashing.finish();
    await cache?.save();

    const uploader = new Uploader(client, {
      parallel,
      singleLimit: DEFAULT_SINGLE_LIMIT,
      signal: ctx.signal,
      note: (message) => ctx.out.info(message),
      chunking,
    });
    const uploading = ctx.out.progress('upload', 0, 0);
    const stats = await uploader.uploadMissing(hashed, uploading);
    uploading.finish();

    const body: PublishRequest = {
      kind,
      files: hashed.slice(0, files.length).map(({ path, digest, size }) => ({
        path,
        digest,
        size,
        ...(values.key?.length && tableFormatOf(path) ? { table: { key: values.key } } : {}),
      })),
    };
    if (values.input?.length) body.inputs = parseInputs(values.input);
    const code: Code = codeMode === 'auto' && git ? { ...git.code } : {};
    if (values['code-path']) code.path = values['code-path'];
    if (Object.keys(code).length > 0) body.code = code;
    const environment: Environment = {};
    if (lockfiles.length > 0) {
      environment.lockfiles = hashed.slice(files.length).map(({ path, digest }) => ({ path, digest }));
    }
    if (values.image) environment.image = values.image;
    if (Object.keys(environment).length > 0) body.environment = environment;
    if (Object.keys(params).length > 0) body.params = params;
    if (Object.keys(metrics).length > 0) body.metrics = metrics;
    if (values.tag?.length) body.tags = values.tag;

    const reuploading = ctx.out.progress('re-upload', 0, 0);
    const published = await uploader.publish(name, body, hashed, reuploading);
    reuploading.finish();
    const totalBytes = files.reduce((n, f) => n + f.size, 0);
    ctx.out.result(
      () =>
        [
          `${published.artifact}@${published.version}${published.created ? '' : ' (unchanged: this content was already published)'}`,
          `digest:   ${published.digest}`,
          `manifest: ${published.manifestUrl}`,
          `files:    ${files.length} (${formatBytes(totalBytes)}); uploaded ${stats.uploadedBlobs} blob(s), ${formatBytes(stats.uploadedBytes)}`,
          `bytes:    ${formatBytes(stats.uploadedBytes)} new, ${formatBytes(stats.reusedBytes)} reused${
            stats.chunkedBlobs > 0 ? ` (${stats.chunkedBlobs} file(s) as chunks, ${stats.packs} pack(s))` : ''
          }`,
        ].join('\n'),
      { ...published, files: files.length, bytes: totalBytes, upload: stats },
    );
  },
});

/** Lockfile paths to send, named in the manifest relative to the code root (else by file name). */
async function lockfilesToSend(requested: readonly string[], codeRoot: string): Promise<LocalFile[]> {
  const paths = new Set<string>();
  for (const raw of requested) {
    if (raw === 'auto') for (const name of await findLockfiles(codeRoot)) paths.add(resolve(codeRoot, name));
    else paths.add(resolve(raw));
  }
  const out: LocalFile[] = [];
  for (const abs of paths) {
    const [file] = await listFiles(abs);
    if (!file) continue;
    const rel = relative(codeRoot, abs);
    const inside = rel && !rel.startsWith('..') && !rel.startsWith(sep);
    out.push({ ...file, path: inside ? rel.split(sep).join('/') : file.path });
  }
  return out;
}
