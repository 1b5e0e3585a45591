/**
 * The Git LFS custom transfer protocol handling (cli/lfs-protocol.ts) and the agent's pure
 * helpers, with the message shapes of git-lfs docs/custom-transfers.md: init answered `{}` or an
 * error, progress that ends at the object's size and never goes back, one `complete` per
 * request (an error in it, not a dead agent), terminate ends the session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register } from 'tsx/esm/api';

register();
const { parseMessage, serveAgent } = await import('../../cli/lfs-protocol.ts');
const { lfsTarget } = await import('../../cli/lfs-agent.ts');
const { agentConfig } = await import('../../cli/commands/lfs.ts');

const OID = 'a'.repeat(64);
const OID2 = 'b'.repeat(64);

async function session(lines, transfers) {
  const sent = [];
  const calls = [];
  await serveAgent(
    (async function* () {
      yield* lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
    })(),
    (m) => sent.push(m),
    {
      async init(op) {
        calls.push(['init', op]);
      },
      async upload() {},
      async download() {
        return '/tmp/x';
      },
      describe: (err) => ({ code: 7, message: String(err.message) }),
      ...transfers,
      calls,
    },
  );
  return { sent, calls };
}

const init = { event: 'init', operation: 'upload', concurrent: true, concurrenttransfers: 3 };

test('init answers {}; an upload reports progress up to its size, then complete', async () => {
  const { sent, calls } = await session(
    [init, { event: 'upload', oid: OID, size: 10, path: '/f', action: null }, { event: 'terminate' }],
    {
      async upload(req, onBytes) {
        assert.equal(req.path, '/f');
        onBytes(4);
        onBytes(6);
      },
    },
  );
  assert.deepEqual(calls, [['init', 'upload']]);
  assert.deepEqual(sent, [
    {},
    { event: 'progress', oid: OID, bytesSoFar: 4, bytesSinceLast: 4 },
    { event: 'progress', oid: OID, bytesSoFar: 10, bytesSinceLast: 6 },
    { event: 'complete', oid: OID },
  ]);
});

test('an object already stored (nothing sent) still ends with bytesSoFar = size', async () => {
  const { sent } = await session([init, { event: 'upload', oid: OID, size: 5, path: '/f' }]);
  assert.deepEqual(sent.slice(1), [
    { event: 'progress', oid: OID, bytesSoFar: 5, bytesSinceLast: 5 },
    { event: 'complete', oid: OID },
  ]);
});

test('progress never exceeds the size (a retried part is counted once)', async () => {
  const { sent } = await session([init, { event: 'upload', oid: OID, size: 8, path: '/f' }], {
    async upload(_r, onBytes) {
      onBytes(6);
      onBytes(6);
      onBytes(3);
    },
  });
  const progress = sent.filter((m) => m.event === 'progress');
  assert.deepEqual(
    progress.map((m) => m.bytesSoFar),
    [6, 8],
  );
});

test('a failed transfer is a complete with an error, and the next one still runs', async () => {
  const { sent } = await session(
    [
      { ...init, operation: 'download' },
      { event: 'download', oid: OID, size: 3 },
      { event: 'download', oid: OID2, size: 3 },
      { event: 'terminate' },
      { event: 'download', oid: OID, size: 3 }, // after terminate: never served
    ],
    {
      async download(req, onBytes) {
        if (req.oid === OID) throw new Error('401 token refused');
        onBytes(3);
        return '/tmp/b';
      },
    },
  );
  assert.deepEqual(sent, [
    {},
    { event: 'complete', oid: OID, error: { code: 7, message: '401 token refused' } },
    { event: 'progress', oid: OID2, bytesSoFar: 3, bytesSinceLast: 3 },
    { event: 'complete', oid: OID2, path: '/tmp/b' },
  ]);
});

test('a failing init is answered with an error object', async () => {
  const { sent } = await session([init], {
    async init() {
      throw new Error('this repository has no lfs.url');
    },
  });
  assert.deepEqual(sent, [{ error: { code: 7, message: 'this repository has no lfs.url' } }]);
});

test('malformed requests: answered per object when the oid is readable', async () => {
  const { sent } = await session([
    init,
    { event: 'upload', oid: OID, size: 1 },
    { event: 'upload', oid: 'XYZ', size: 1, path: '/f' },
  ]);
  assert.deepEqual(sent.slice(1), [
    { event: 'complete', oid: OID, error: { code: 400, message: 'upload: no path' } },
    { event: 'complete', oid: 'XYZ', error: { code: 400, message: 'upload: oid is not SHA-256 hex' } },
  ]);
  await assert.rejects(session([init, 'not json']), /cannot read/);
});

test('parseMessage', () => {
  assert.deepEqual(parseMessage('{"event":"terminate"}'), { event: 'terminate' });
  assert.deepEqual(parseMessage('{"event":"init","operation":"push"}'), {
    problem: 'init: operation must be "upload" or "download", not "push"',
  });
  assert.deepEqual(parseMessage(`{"event":"download","oid":"${OID}","size":-1}`), {
    problem: 'download: bad size',
  });
  assert.deepEqual(parseMessage('{"event":"nope"}'), { problem: 'unknown event "nope"' });
  assert.deepEqual(parseMessage('[]'), { problem: 'unknown event undefined' });
});

test('lfsTarget: the registry and repository from lfs.url', () => {
  assert.deepEqual(lfsTarget('https://reg.example/lfs/acme/models'), {
    baseUrl: 'https://reg.example',
    repo: 'acme/models',
  });
  assert.deepEqual(lfsTarget('http://127.0.0.1:8787/cairn/lfs/acme/m.v2/'), {
    baseUrl: 'http://127.0.0.1:8787/cairn',
    repo: 'acme/m.v2',
  });
  assert.equal(lfsTarget('https://u:secret@reg.example/lfs/acme/models'), null);
  assert.equal(lfsTarget('https://reg.example/acme/models'), null);
  assert.equal(lfsTarget('ssh://reg.example/lfs/acme/models'), null);
  assert.equal(lfsTarget('not a url'), null);
});

test('agentConfig: the standalone agent, run by this node with this cairn', () => {
  assert.deepEqual(agentConfig('/usr/bin/node', '/opt/cairn/bin/cairn.mjs'), [
    ['lfs.customtransfer.cairn.path', '/usr/bin/node'],
    ['lfs.customtransfer.cairn.args', '"/opt/cairn/bin/cairn.mjs" lfs-agent'],
    ['lfs.customtransfer.cairn.concurrent', 'true'],
    ['lfs.standalonetransferagent', 'cairn'],
  ]);
});
