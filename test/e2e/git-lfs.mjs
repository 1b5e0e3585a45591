/**
 * The real `git` and `git lfs`, non-interactive and isolated, for the LFS e2e suite and bench:
 * every command runs with its own HOME and global config (GIT_CONFIG_GLOBAL), no system config
 * and GIT_TERMINAL_PROMPT=0, so a missing credential fails instead of prompting.
 *
 *   const home = await gitHome(dir, serverUrl, token);   // git lfs install + credential store
 *   const { code, stdout, stderr } = await git(['status'], { cwd, homeDir: home });
 *   await gitOk([...], { cwd, homeDir: home });          // throws with the output on failure
 *
 * Credentials are what the README recommends: git's `store` helper for the server's URL, filled
 * once with `git credential approve` (any user name, the token as password). A helper that can
 * forget matters: on a 401, git lfs rejects the credential and asks again, so a helper that
 * always answers the same wrong password makes it retry forever.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const MiB = 1024 * 1024;

/** Runs git; resolves to { code, stdout, stderr } (never rejects on a non-zero exit). */
export function git(args, { cwd, homeDir, input, env = {} }) {
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: cwd ?? homeDir,
        maxBuffer: 64 * MiB,
        env: {
          PATH: process.env.PATH,
          HOME: homeDir,
          GIT_CONFIG_GLOBAL: join(homeDir, '.gitconfig'),
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_TERMINAL_PROMPT: '0',
          ...env,
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
    );
    // git may exit before reading its input (or without reading it at all).
    child.stdin.on('error', () => {});
    if (input === undefined) child.stdin.end();
    else child.stdin.end(input);
  });
}

export async function gitOk(args, options) {
  const res = await git(args, options);
  if (res.code !== 0)
    throw new Error(`git ${args.join(' ')} failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  return res;
}

/** Remembers `token` as the password for `serverUrl` (what the README says to run once). */
export function rememberToken(homeDir, serverUrl, token) {
  const input = `url=${serverUrl}\nusername=cairn\npassword=${token}\n\n`;
  return gitOk(['credential', 'approve'], { homeDir, input });
}

/** A fresh HOME in `dir`: an identity, the LFS filters, the store helper holding `token`. */
export async function gitHome(dir, serverUrl, token) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.gitconfig'), '[user]\n\tname = Cairn Test\n\temail = test@cairn.test\n');
  await gitOk(['lfs', 'install', '--skip-repo'], { homeDir: dir });
  await gitOk(['config', '--global', `credential.${serverUrl}.helper`, 'store'], { homeDir: dir });
  await rememberToken(dir, serverUrl, token);
  return dir;
}

/** `size` random bytes into `file`, 1 MiB at a time; resolves to their SHA-256 hex. */
export async function randomFile(file, size) {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let left = size; left > 0; left -= MiB) {
      const chunk = randomBytes(Math.min(MiB, left));
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(chunks(), createWriteStream(file));
  return hash.digest('hex');
}

/**
 * A repository in `dir` with lfs.url = `lfsUrl`, tracking *.pkl and *.csv, `files` ([path, size]
 * pairs of random bytes) committed on main, and a bare remote `origin` beside it. Resolves to
 * { dir, remote, oids } (oids: path → SHA-256 hex).
 */
export async function lfsRepo(dir, lfsUrl, files, homeDir) {
  mkdirSync(dir, { recursive: true });
  await gitOk(['init', '-q', '-b', 'main', dir], { homeDir });
  await gitOk(['config', 'lfs.url', lfsUrl], { cwd: dir, homeDir });
  await gitOk(['lfs', 'track', '*.pkl', '*.csv'], { cwd: dir, homeDir });
  const oids = {};
  for (const [path, size] of files) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    oids[path] = await randomFile(join(dir, path), size);
  }
  await gitOk(['add', '-A'], { cwd: dir, homeDir });
  await gitOk(['commit', '-q', '-m', 'data and models'], { cwd: dir, homeDir });
  const remote = `${dir}.git`;
  await gitOk(['init', '-q', '--bare', '-b', 'main', remote], { homeDir });
  await gitOk(['remote', 'add', 'origin', remote], { cwd: dir, homeDir });
  return { dir, remote, oids };
}
