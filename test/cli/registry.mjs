/**
 * The setup every CLI e2e suite shares: a real registry (`startServer()`, i.e. `npm start`), the
 * counting proxy in front of it, and the `cairn` command configured to go through the proxy with
 * its config and hash cache inside the server's scratch directory.
 *
 *   const reg = await startCliRegistry();   // in before()
 *   reg.server, reg.proxy, reg.env
 *   const r = await reg.cli(['push', dir, 'acme/x'], { env, cwd, input });
 *   expectOk(r, 'push');                     // exit 0, else fails with its stderr
 *   await reg.stop();                        // in after()
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer } from '../e2e/harness.mjs';
import { startProxy } from './counting-proxy.mjs';
import { runCli } from './run-cli.mjs';

export async function startCliRegistry() {
  const server = await startServer();
  const proxy = await startProxy(server.url);
  const env = {
    CAIRN_URL: proxy.url,
    CAIRN_TOKEN: server.token,
    XDG_CONFIG_HOME: join(server.workDir, 'config'),
    XDG_CACHE_HOME: join(server.workDir, 'cache'),
  };
  return {
    server,
    proxy,
    env,
    cli: (args, extra = {}) =>
      runCli(args, { env: { ...env, ...extra.env }, cwd: extra.cwd ?? server.workDir, input: extra.input }),
    async stop() {
      await proxy.stop();
      await server.stop();
    },
  };
}

export function expectOk(result, what) {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\n${result.stderr}`);
  return result;
}
