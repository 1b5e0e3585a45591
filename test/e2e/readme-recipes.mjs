/**
 * README.md recipes for the e2e suites: find a ```sh block and run it verbatim with bash against
 * a harness server, as a user would paste it.
 *
 *   import { runRecipe, shellBlockAfter } from './readme-recipes.mjs';
 *   const script = shellBlockAfter('<!-- recipe:train-model');
 *   const run = await runRecipe(server, script);   // { code, stdout, stderr, dir }
 *   assertRan(run, 'the train-model recipe');
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced ```sh block that starts on the line right after the one holding `marker`. */
export function shellBlockAfter(marker) {
  const at = README.indexOf(marker);
  assert.notEqual(at, -1, `README.md has no ${marker}`);
  const match = /^[^\n]*\n```sh\n([\s\S]*?)\n```\n/.exec(README.slice(at));
  assert.ok(match, `no \`\`\`sh block right after ${marker} in README.md`);
  return `${match[1]}\n`;
}

/** The one ```sh block of README.md whose first line starts with `firstLine`. */
export function shellBlockStartingWith(firstLine) {
  const blocks = [...README.matchAll(/^```sh\n([\s\S]*?)\n```$/gm)]
    .map((m) => m[1])
    .filter((b) => b.startsWith(firstLine));
  assert.equal(blocks.length, 1, `README.md should have exactly one sh block starting with ${firstLine}`);
  return `${blocks[0]}\n`;
}

/**
 * Runs `script` verbatim as `bash -euo pipefail -c script` in a new empty directory under
 * `server.workDir`, with only CAIRN, TOKEN and PATH in its environment.
 * Resolves to { code, stdout, stderr, dir } (code: the exit code, or the signal's name).
 */
export function runRecipe(server, script, { timeout = 120_000 } = {}) {
  const dir = mkdtempSync(join(server.workDir, 'recipe-'));
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script],
      {
        cwd: dir,
        env: { CAIRN: server.url, TOKEN: server.token, PATH: process.env.PATH },
        timeout,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr, dir }),
    );
  });
}

/** Fails with the recipe's output unless it exited 0. */
export function assertRan(run, what) {
  assert.equal(
    run.code,
    0,
    `${what} exited ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`,
  );
}

/** The JSON values printed back to back (curl adds no newline), in order. */
export function jsonValues(text) {
  const values = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' || ch === ']') {
      if (--depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return values;
}
