/**
 * Cairn as a Hugging Face Hub endpoint for the real Python `huggingface_hub` (HF_ENDPOINT=…/hf),
 * against the real `npm start`, through a counting proxy so the test can prove what was (not)
 * sent. test/e2e/hf-python.py runs one phase per process and asserts what the library returns:
 * create_repo (twice), upload_folder, a second upload_folder changing only the config (the
 * weights are not re-sent: counted here), upload_file of 70 MiB through the multipart transfer,
 * hf_hub_download byte-identical (by branch, commit id and version number), snapshot_download,
 * list_repo_files, list_repo_tree, list_repo_commits, list_repo_refs, get_paths_info, whoami,
 * HfFileSystem, model_info, repo_info(revision=…), the library's own error classes, a commit with
 * a stale parent and a card with broken metadata refused, and a dataset repo. Then the repo
 * natively.
 *
 * The library cannot be installed in CI (no PyPI), so this suite runs only where
 * `import huggingface_hub` works and otherwise reports itself skipped, with the reason:
 *   CAIRN_HF_PYTHON      the interpreter (default: the first of python3, /usr/bin/python3 that
 *                        imports it)
 *   CAIRN_HF_PYTHONPATH  prepended to PYTHONPATH (e.g. a checkout's src/)
 * hf_xet must not be importable: the suite tests the LFS path (the driver checks).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startProxy } from '../cli/counting-proxy.mjs';
import { collectOutput } from '../cli/run-cli.mjs';
import { ROOT, startServer } from './harness.mjs';

const MiB = 1024 * 1024;
const T = 600_000;
const DRIVER = join(ROOT, 'test', 'e2e', 'hf-python.py');

function pythonEnv(extra = {}) {
  const path = [process.env.CAIRN_HF_PYTHONPATH, process.env.PYTHONPATH].filter(Boolean).join(':');
  return { ...process.env, ...(path ? { PYTHONPATH: path } : {}), PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

// The package imports lazily: `import huggingface_hub` succeeds without its dependencies.
const PROBE = 'import huggingface_hub, huggingface_hub.hf_api; print(huggingface_hub.__version__)';

/** The interpreter that imports huggingface_hub, or the reason there is none. */
function findPython() {
  const candidates = process.env.CAIRN_HF_PYTHON
    ? [process.env.CAIRN_HF_PYTHON]
    : ['python3', '/usr/bin/python3'];
  const problems = [];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', PROBE], {
      env: pythonEnv(),
      encoding: 'utf8',
    });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
    const last = (probe.stderr || String(probe.error ?? '')).trim().split('\n').at(-1);
    problems.push(`${python}: ${last}`);
  }
  return {
    skip: `huggingface_hub is not importable (${problems.join('; ')}); set CAIRN_HF_PYTHONPATH to its src/`,
  };
}

const found = findPython();

if (found.skip) test('huggingface_hub (Python) against /hf', { skip: found.skip }, () => {});
else
  describe('huggingface_hub (Python) against /hf', { timeout: T }, () => {
    let server;
    let proxy;
    let env;
    let work;

    before(async () => {
      server = await startServer();
      const res = await server.curl([
        '-X',
        'POST',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        JSON.stringify({ name: 'hf-python', scopes: ['write'] }),
        `${server.url}/v1/tokens`,
      ]);
      assert.equal(res.status, 201, res.body);
      proxy = await startProxy(server.url);
      work = join(server.workDir, 'hf-python');
      mkdirSync(work, { recursive: true });
      env = pythonEnv({
        HF_ENDPOINT: `${proxy.url}/hf`,
        HF_TOKEN: `hf_${res.json.token}`,
        HF_HOME: join(work, 'hf-home'),
        HF_HUB_DISABLE_TELEMETRY: '1',
        HF_HUB_DISABLE_PROGRESS_BARS: '1',
      });
    });

    after(async () => {
      await proxy?.stop();
      await server?.stop();
    });

    /** Runs one phase of the driver; resolves to the JSON it printed last. */
    async function phase(name) {
      proxy.reset();
      const { code, stdout, stderr } = await collectOutput(
        spawn(found.python, [DRIVER, name, work], { env }),
      );
      if (code !== 0) {
        throw new Error(
          `phase ${name} exited ${code}\n${stderr}\n${stdout}\n--- server log ---\n${server.logTail(40)}`,
        );
      }
      return JSON.parse(stdout.trim().split('\n').at(-1));
    }

    const puts = (kind) => proxy.matching('PUT', new RegExp(`^/hf/_transfer/${kind}$`));

    test(`uploads, downloads and errors (huggingface_hub ${found.version ?? ''})`, async (t) => {
      t.diagnostic(`${found.python} imports huggingface_hub ${found.version}`);
      const first = await phase('upload');
      assert.match(first.commit, /^[0-9a-f]{40}$/);
      assert.deepEqual(
        puts('put')
          .map((r) => r.bytes)
          .sort((a, b) => a - b),
        [13, 4 * MiB],
      );

      const second = await phase('config-only');
      // Only the config travelled: the batch answered the weights without an upload action.
      assert.deepEqual(
        puts('put').map((r) => r.bytes),
        [13],
      );
      assert.equal(proxy.count('POST', /^\/hf\/api\/models\/acme\/py-model\/commit\/main$/), 1);

      const third = await phase('multipart');
      assert.equal(puts('put').length, 0);
      assert.deepEqual(
        puts('part').map((r) => r.bytes),
        [64 * MiB, 6 * MiB],
      );
      assert.equal(proxy.count('POST', /^\/hf\/_transfer\/complete$/), 1);

      const seen = await phase('download');
      assert.equal(seen.sha, third.commit);

      await phase('errors');

      // The same repository, natively: three versions, `main` at the last, commit id = digest prefix.
      const versions = await server.curl([`${server.url}/v1/artifacts/acme/py-model/versions`]);
      assert.equal(versions.status, 200, versions.body);
      assert.equal(versions.json.items.length, 3, 'the refused commits wrote nothing');
      const byNumber = new Map(versions.json.items.map((v) => [v.version, v.digest]));
      assert.deepEqual(
        [1, 2, 3].map((n) => byNumber.get(n).slice(7, 47)),
        [first.commit, second.commit, third.commit],
      );
      const tags = await server.curl([`${server.url}/v1/artifacts/acme/py-model/tags`]);
      assert.equal(tags.json.main, byNumber.get(3));
      const diff = await server.curl([`${server.url}/v1/diff?from=acme/py-model@1&to=acme/py-model@2`]);
      assert.equal(diff.status, 200, diff.body);
      const named = JSON.stringify(diff.json.files);
      assert.match(named, /config\.json/);
      assert.doesNotMatch(named, /model\.safetensors/);
    });

    test('a dataset repository', async () => {
      const ds = await phase('dataset');
      const artifact = await server.curl([`${server.url}/v1/artifacts/acme/py-data`]);
      assert.equal(artifact.json.kind, 'dataset');
      const tags = await server.curl([`${server.url}/v1/artifacts/acme/py-data/tags`]);
      assert.equal(tags.json.main.slice(7, 47), ds.commit);
    });
  });
