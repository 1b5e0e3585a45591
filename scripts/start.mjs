#!/usr/bin/env node
// `npm start`: a local Cairn with local D1 and R2 (persisted under .wrangler/state, or
// $CAIRN_STATE_DIR), migrations applied first, and the admin token printed.
//   PORT            port to listen on (default 8787), always on 127.0.0.1
//   CAIRN_STATE_DIR where local D1/R2 state lives (default .wrangler/state)
//   OPENLINEAGE_URL and the other OPENLINEAGE_* settings (README "OpenLineage"): passed to the
//                   Worker as vars when set, so events are pushed to a local lineage service
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSigningKey } from './dev-vars.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = process.env.PORT || '8787';
const stateDir = process.env.CAIRN_STATE_DIR || join(root, '.wrangler', 'state');
const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const env = {
  ...process.env,
  // Offline machines: do not fetch Request.cf data, do not send metrics.
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
};

function ensureDevVars() {
  const devVars = join(root, '.dev.vars');
  if (!existsSync(devVars)) {
    copyFileSync(join(root, '.dev.vars.example'), devVars);
    const text = readFileSync(devVars, 'utf8').replace(
      /^ADMIN_TOKEN=.*$/m,
      `ADMIN_TOKEN=cairn_dev_${randomBytes(24).toString('base64url')}`,
    );
    writeFileSync(devVars, text, { mode: 0o600 });
    console.log('Created .dev.vars with a fresh ADMIN_TOKEN.');
  }
  const token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(devVars, 'utf8'))?.[1]?.trim();
  if (!token) throw new Error('.dev.vars has no ADMIN_TOKEN line');
  if (ensureSigningKey(devVars)) console.log('Added a fresh REGISTRY_SIGNING_KEY to .dev.vars.');
  return token;
}

const token = ensureDevVars();
const migrate = spawnSync(
  wrangler,
  ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir],
  { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] },
);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

console.log(`
  Cairn is starting on http://127.0.0.1:${port}
  Admin token: ${token}
  Try:  curl -H "Authorization: Bearer ${token}" http://127.0.0.1:${port}/v1/health
`);

// `wrangler dev` reads vars from wrangler.toml and .dev.vars only: forward these from our environment.
const OPENLINEAGE_VARS = [
  'OPENLINEAGE_URL',
  'OPENLINEAGE_API_KEY',
  'OPENLINEAGE_NAMESPACE',
  'OPENLINEAGE_MAX_ATTEMPTS',
  'OPENLINEAGE_RETRY_BASE_SECONDS',
  'OPENLINEAGE_TIMEOUT_MS',
];
const forwardedVars = OPENLINEAGE_VARS.filter((name) => process.env[name]).flatMap((name) => [
  '--var',
  `${name}:${process.env[name]}`,
]);

const dev = spawn(
  wrangler,
  [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    port,
    '--persist-to',
    stateDir,
    '--show-interactive-dev-session=false',
    '--test-scheduled',
    ...forwardedVars,
  ],
  { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
