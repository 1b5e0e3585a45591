#!/usr/bin/env node
/**
 * `npm test`'s pretest: the system tools the suites drive must be on this machine. Whatever is
 * missing is installed with apt-get when we may (root, or passwordless sudo); otherwise we stop
 * at once and print the exact command to run, instead of failing minutes later in a suite.
 *
 * Node builtins only: this runs before anything else, and on a fresh clone `npm ci` is what
 * brings node_modules.
 *
 *   node scripts/ensure-tools.mjs           check, install what is missing (or say how)
 *   node scripts/ensure-tools.mjs --check   check only: list what is missing, exit 1 if anything is
 *
 * To require another tool, add a row to TOOLS.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * What the suites need: a command on PATH (or a file), the Debian packages that bring it, and
 * who needs it (printed when it is missing).
 */
const TOOLS = [
  { command: 'curl', packages: ['curl', 'ca-certificates'], usedBy: 'end-to-end suites (test/e2e)' },
  { command: 'git', packages: ['git'], usedBy: 'CLI and Git LFS suites' },
  { command: 'git-lfs', packages: ['git-lfs'], usedBy: 'Git LFS suite (test/e2e/lfs.test.mjs)' },
  { command: 'openssl', packages: ['openssl'], usedBy: 'provenance suite (test/e2e/provenance.test.mjs)' },
  { command: 'jq', packages: ['jq'], usedBy: 'provenance README recipes (test/e2e/provenance.test.mjs)' },
  { command: 'chromium', packages: ['chromium'], usedBy: 'web UI browser tests (test/browser)' },
  {
    file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    packages: ['fonts-dejavu-core'],
    usedBy: 'browser tests: text in the screenshots',
  },
  { command: 'python3', packages: ['python3'], usedBy: 'suites that run Python' },
  {
    command: 'skopeo',
    packages: ['skopeo'],
    usedBy: 'OCI registry suite and bench (test/e2e/oci-skopeo.test.mjs)',
  },
  { command: 'podman', packages: ['podman'], usedBy: 'OCI podman suite (test/e2e/oci-podman.test.mjs)' },
];

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

function present(tool) {
  if (tool.command) return onPath(tool.command);
  try {
    accessSync(tool.file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const label = (tool) => tool.command ?? tool.file;
const missingTools = () => TOOLS.filter((tool) => !present(tool));

/** apt-get as root, through `sudo -n` when that works without a password, else null. */
function privilege() {
  if (process.getuid?.() === 0) return [];
  if (onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0)
    return ['sudo', '-n'];
  return null;
}

/** Runs apt-get; its (long) progress output is shown only when it fails. */
function run(argv) {
  console.error(`ensure-tools: ${argv.join(' ')}`);
  const result = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(result.stdout?.slice(-4000) ?? '');
    throw new Error(`${argv.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

function main() {
  const missing = missingTools();
  if (missing.length === 0) return 0;
  const packages = [...new Set(missing.flatMap((tool) => tool.packages))];
  console.error('ensure-tools: missing system tools:');
  for (const tool of missing)
    console.error(`  ${label(tool).padEnd(10)} (${tool.packages.join(', ')}) for the ${tool.usedBy}`);

  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...packages];
  const sudo = process.argv.includes('--check') ? null : privilege();
  if (sudo === null || !onPath('apt-get')) {
    const prefix = process.getuid?.() === 0 ? '' : 'sudo ';
    console.error(
      `\nInstall them, then run npm test again:\n\n  ${prefix}apt-get update && ${prefix}${install.join(' ')}\n`,
    );
    if (!onPath('apt-get'))
      console.error('(no apt-get here: install the same tools with your package manager)');
    return 1;
  }
  // Wait for another apt/dpkg run on this machine to finish instead of failing on its lock.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
  run([...sudo, 'apt-get', ...lockWait, 'update', '-qq']);
  run([...sudo, 'apt-get', ...lockWait, ...install.slice(1), '-qq']);
  const still = missingTools();
  if (still.length > 0) {
    console.error(`ensure-tools: still missing after apt-get: ${still.map(label).join(', ')}`);
    return 1;
  }
  console.error(`ensure-tools: installed ${packages.join(' ')}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`ensure-tools: ${err.message}`);
  process.exitCode = 1;
}
