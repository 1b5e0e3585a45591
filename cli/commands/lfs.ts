/**
 * `cairn lfs-enable-largefiles <repo-dir>` makes this CLI the repository's Git LFS transfer agent
 * (the git config entries below, pointing at the running `cairn`), and `cairn lfs-agent` is the
 * process git-lfs then starts: stdin/stdout speak the custom transfer protocol (lfs-protocol.ts),
 * so nothing else may write to stdout.
 */

import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { defineCommand } from '../command';
import { usageError } from '../exit-codes';
import { runGit } from '../git';
import { AGENT_NAME, cairnTransfers, resolveTarget } from '../lfs-agent';
import { serveAgent } from '../lfs-protocol';

/** The git config entries that route every LFS transfer of a repository through `cairn`. */
export function agentConfig(nodePath: string, cairnScript: string): [string, string][] {
  return [
    [`lfs.customtransfer.${AGENT_NAME}.path`, nodePath],
    [`lfs.customtransfer.${AGENT_NAME}.args`, `"${cairnScript}" lfs-agent`],
    // One process per concurrent transfer (lfs.concurrenttransfers); each moves one object at a time.
    [`lfs.customtransfer.${AGENT_NAME}.concurrent`, 'true'],
    ['lfs.standalonetransferagent', AGENT_NAME],
  ];
}

export const lfsEnableLargefiles = defineCommand({
  name: 'lfs-enable-largefiles',
  summary: 'make cairn the Git LFS transfer agent of a repository (objects of any size)',
  help: `cairn lfs-enable-largefiles <repo-dir>
  Writes to the repository's .git/config: lfs.customtransfer.cairn.{path,args,concurrent} (this
  cairn) and lfs.standalonetransferagent=cairn. Needs lfs.url = $CAIRN/lfs/<ns>/<name> set first.
  The agent reads its token like every command: CAIRN_TOKEN, else the file \`cairn login\` writes.`,
  options: {},
  positionals: [1, 1],
  async run(ctx, _values, [dir]) {
    const repoDir = resolve(dir as string);
    if ((await runGit(['rev-parse', '--git-dir'], repoDir)) === null) {
      throw usageError(`${repoDir} is not a git repository`);
    }
    const target = await resolveTarget(repoDir);
    const script = process.argv[1];
    if (!script) throw usageError('cannot tell where this cairn is installed');
    const entries = agentConfig(process.execPath, resolve(script));
    for (const [key, value] of entries) {
      if ((await runGit(['config', '--local', key, value], repoDir)) === null) {
        throw usageError(`git config ${key} failed in ${repoDir}`);
      }
    }
    ctx.out.result(
      `git lfs in ${repoDir} now moves every object through cairn (${target.baseUrl}, ${target.repo}): ` +
        'large ones go up in resumable parts',
      { repoDir, ...target, config: Object.fromEntries(entries) },
    );
  },
});

export const lfsAgent = defineCommand({
  name: 'lfs-agent',
  summary: 'the Git LFS custom transfer agent (started by git lfs, not by you)',
  help: `cairn lfs-agent
  Speaks git-lfs's custom transfer protocol on stdin/stdout. Set up with cairn lfs-enable-largefiles.`,
  options: {},
  positionals: [0, 0],
  async run(ctx) {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
    await serveAgent(lines, send, cairnTransfers(process.cwd(), ctx.signal));
    lines.close();
  },
});
