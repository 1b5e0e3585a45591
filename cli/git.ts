/**
 * `--code auto`: the git remote, commit and dirty state of the working tree the command runs in,
 * read with `git` child processes. Credentials embedded in a remote URL are never recorded.
 */
import { execFile } from 'node:child_process';
import type { Code } from '../src/client/index';

/** `git args…` in `cwd`: its trimmed stdout, or null when it fails (or git is missing). */
export function runGit(args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      resolve(err ? null : stdout.trim()),
    );
  });
}

/** `https://user:secret@host/x.git` → `https://host/x.git`; scp-style `git@host:x` stays. */
export function redactRemote(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

export interface GitInfo {
  topLevel: string;
  code: Code;
}

/** The repository around `cwd`, or null outside one (or without git installed). */
export async function gitInfo(cwd: string): Promise<GitInfo | null> {
  const topLevel = await runGit(['rev-parse', '--show-toplevel'], cwd);
  if (!topLevel) return null;
  const [commit, status, remotes] = await Promise.all([
    runGit(['rev-parse', '--verify', '-q', 'HEAD'], cwd),
    runGit(['status', '--porcelain', '--untracked-files=no'], cwd),
    runGit(['remote'], cwd),
  ]);
  const names = (remotes ?? '').split('\n').filter(Boolean);
  const remoteName = names.includes('origin') ? 'origin' : names[0];
  const remote = remoteName ? await runGit(['remote', 'get-url', remoteName], cwd) : null;
  const code: Code = {};
  if (remote) code.repo = redactRemote(remote);
  if (commit && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) code.commit = commit;
  if (status !== null) code.dirty = status.length > 0;
  return { topLevel, code };
}
