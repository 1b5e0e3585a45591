/**
 * Runs the real `cairn` command (bin/cairn.mjs) as a child process, for the CLI tests.
 *   const r = await runCli(['push', dir, 'acme/data'], { env, cwd });  // { code, signal, stdout, stderr, json }
 *   const child = spawnCli(args, { env, cwd });                        // to kill it mid-way
 *   collectOutput(child)   // the same result for any spawned child (stdio piped)
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CAIRN = join(ROOT, 'bin', 'cairn.mjs');

export function spawnCli(args, { env = {}, cwd = ROOT } = {}) {
  const child = spawn(process.execPath, [CAIRN, ...args], {
    cwd,
    // A clean environment: only what the test gives, plus PATH/HOME for git and tsx's cache.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.result = collectOutput(child);
  return child;
}

/**
 * What a spawned child printed and how it ended: { code, signal, stdout, stderr, json } (json:
 * all of stdout parsed, when it parses). Rejects only when the child could not be started.
 */
export function collectOutput(child) {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let json;
      try {
        json = JSON.parse(stdout);
      } catch {}
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}

export function runCli(args, options = {}) {
  const child = spawnCli(args, options);
  child.stdin.end(options.input ?? '');
  return child.result;
}
