/**
 * What the `cairn` Git LFS transfer agent does per object, against the registry behind the
 * repository's `lfs.url` (`$CAIRN/lfs/ns/name`). Uploads take the same path as `cairn push`
 * (uploader.ts: skip what is stored, one PUT up to the single-request limit, else a multipart
 * upload that resumes an open session), then the LFS `verify` route records the object as held
 * by the repository, as a `basic` upload would (GC keeps it; the namespace's readers see it).
 * Downloads stream `GET /v1/blobs/{digest}` through SHA-256 into git-lfs's tmp directory.
 *
 * The agent is standalone (`lfs.standalonetransferagent`): git-lfs asks no batch API, so no
 * object meets the batch's per-request size limit, and nothing on the server changes.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CairnClient, CairnError } from '../src/client/index';
import { loadSettings, type Settings } from './config';
import { downloadTo } from './download';
import { explain } from './errors';
import { CliError, EXIT, usageError } from './exit-codes';
import { runGit } from './git';
import type { AgentError, Transfers } from './lfs-protocol';
import { Progress } from './progress';
import { DEFAULT_SINGLE_LIMIT, Uploader } from './upload';

/** The name git-lfs knows the agent by (`lfs.customtransfer.cairn.*`). */
export const AGENT_NAME = 'cairn';

export interface LfsTarget {
  /** The registry's base URL (what precedes `/lfs/`). */
  baseUrl: string;
  /** The LFS repository, `ns/name`. */
  repo: string;
}

/** `https://host/prefix/lfs/acme/models` → { baseUrl: 'https://host/prefix', repo: 'acme/models' }. */
export function lfsTarget(lfsUrl: string): LfsTarget | null {
  let url: URL;
  try {
    url = new URL(lfsUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const match = /^(.*)\/lfs\/([a-z0-9][a-z0-9._-]{0,63})\/([a-z0-9][a-z0-9._-]{0,63})\/?$/.exec(url.pathname);
  if (!match || url.username || url.password) return null;
  return { baseUrl: url.origin + match[1], repo: `${match[2]}/${match[3]}` };
}

/** The repository's `lfs.url`, from git config, else from the committed `.lfsconfig`. */
export async function readLfsUrl(cwd: string): Promise<string | null> {
  const configured = await runGit(['config', '--get', 'lfs.url'], cwd);
  if (configured) return configured;
  const top = await runGit(['rev-parse', '--show-toplevel'], cwd);
  return top ? runGit(['config', '-f', join(top, '.lfsconfig'), '--get', 'lfs.url'], cwd) : null;
}

export async function resolveTarget(cwd: string): Promise<LfsTarget> {
  const lfsUrl = await readLfsUrl(cwd);
  if (!lfsUrl) {
    throw usageError('this repository has no lfs.url', 'git config lfs.url "$CAIRN/lfs/<ns>/<name>"');
  }
  const target = lfsTarget(lfsUrl);
  if (!target) {
    throw usageError(
      `lfs.url ${JSON.stringify(lfsUrl)} is not a Cairn LFS URL`,
      'it must look like https://HOST/lfs/<ns>/<name> (no credentials in it)',
    );
  }
  return target;
}

/** The transfers for a session, bound to the repository around `cwd` and the CLI's token. */
export function cairnTransfers(cwd: string, signal: AbortSignal): Transfers {
  let settings: Settings | null = null;
  let client: CairnClient | null = null;
  let target: LfsTarget | null = null;
  let downloadDir = tmpdir();
  const ready = () => {
    if (!client || !target) throw new CliError(EXIT.ERROR, 'the agent was not initialised');
    return { client, target };
  };
  return {
    async init() {
      target = await resolveTarget(cwd);
      settings = await loadSettings(target.baseUrl);
      client = new CairnClient({
        baseUrl: settings.url,
        token: settings.token,
        userAgent: 'cairn-cli/lfs-agent',
      });
      // Beside git-lfs's store, so its move of the finished file is a rename.
      const lfsTmp = await runGit(['rev-parse', '--git-path', 'lfs/tmp'], cwd);
      if (lfsTmp) {
        downloadDir = isAbsolute(lfsTmp) ? lfsTmp : join(cwd, lfsTmp);
        await mkdir(downloadDir, { recursive: true });
      }
    },
    async upload(request, onBytes) {
      const { client, target } = ready();
      const progress = new Progress({ label: 'upload', totalBytes: 0, totalItems: 0, stream: null });
      progress.addBytes = (n) => onBytes(n);
      const uploader = new Uploader(client, {
        parallel: 1,
        singleLimit: DEFAULT_SINGLE_LIMIT,
        signal,
        note: (m) => process.stderr.write(`${m}\n`),
      });
      const item = { abs: request.path, digest: `sha256:${request.oid}`, size: request.size };
      await uploader.uploadMissing([item], progress);
      // Held by the repository, as git-lfs's own verify action does after a `basic` upload.
      await client.http.send('POST', `/lfs/${target.repo}/objects/verify`, {
        json: { oid: request.oid, size: request.size },
        headers: { accept: 'application/vnd.git-lfs+json' },
        signal,
      });
    },
    async download(request, onBytes) {
      const { client } = ready();
      const digest = `sha256:${request.oid}`;
      const res = await client.getBlob(digest, { signal });
      const dest = join(downloadDir, `cairn-agent-${request.oid}`);
      await downloadTo(res, dest, { digest, size: request.size }, onBytes);
      return dest;
    },
    describe(err): AgentError {
      const explained = explain(err, settings);
      const status = err instanceof CairnError && err.status > 0 ? err.status : 1;
      const hint = explained.hint ? ` (${explained.hint})` : '';
      return { code: status, message: `cairn: ${explained.message}${hint}` };
    },
  };
}
