/**
 * `npm run test:python`: the Python client's suites (test/python, `unittest`, no third-party
 * runner) against a real `npm start`: one server for all of them, its URL and admin token in
 * CAIRN_URL / CAIRN_TOKEN, config and hash cache in its scratch directory. Fails when any Python
 * test fails; each Python test's line and the summary are reported as diagnostics. (Not named *.test.mjs: `test:e2e` would run it too.)
 *
 *   PYTHON   the interpreter (default python3; the client supports 3.9 and later)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, startServer } from './harness.mjs';

const PYTHON = process.env.PYTHON || 'python3';
let server;

before(async () => {
  server = await startServer();
});

after(() => server?.stop());

function unittest(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'unittest', ...args], { cwd: join(ROOT, 'test', 'python'), env });
    let output = '';
    const keep = (chunk) => {
      output += chunk;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

test('the Python client (python -m unittest discover -s test/python)', { timeout: 900_000 }, (t) =>
  server.withLog(async () => {
    const result = await unittest(['discover', '-s', '.', '-p', 'test_*.py', '-v'], {
      ...process.env,
      CAIRN_URL: server.url,
      CAIRN_TOKEN: server.token,
      XDG_CONFIG_HOME: join(server.workDir, 'config'),
      XDG_CACHE_HOME: join(server.workDir, 'cache'),
      PYTHONDONTWRITEBYTECODE: '1',
    });
    // One line per Python test (`-v`), then its summary: visible in the report either way.
    for (const line of result.output.split('\n'))
      if (/ \.\.\. |^Ran |^OK|^FAILED/.test(line)) t.diagnostic(line);
    assert.equal(
      result.code,
      0,
      `python -m unittest exited ${result.code ?? result.signal}\n${result.output}`,
    );
    assert.match(result.output, /^Ran [1-9]\d* tests? in /m, 'some tests ran');
    assert.doesNotMatch(
      result.output,
      /CAIRN_URL and CAIRN_TOKEN are not set/,
      'every suite got the registry',
    );
  })(),
);
