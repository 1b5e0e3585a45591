/**
 * The CLI as one prebuilt ES module, so `cairn` starts in ~0.13 s instead of ~0.32 s through tsx's
 * loader (measured on this repository's machine: `cairn --version`). Every `cairn` call pays the
 * start, and a push of one changed file is otherwise little more than that start and the hashing.
 *
 * The bundle is built by esbuild from cli/main.ts on the first run after a source changes, and
 * cached under node_modules/.cache/cairn-cli/ with the list of files it was built from and their
 * mtime and size (esbuild's metafile). Each run stats those files (~40, ~1 ms): any change, added
 * import or deleted file means a rebuild, so an edited checkout never runs stale code. Bundles
 * are written under their content hash and the index replaced by rename, so concurrent `cairn`
 * processes never see a half-written file. When anything here fails (read-only install, no
 * esbuild), the caller falls back to tsx: slower, never wrong.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'cli', 'main.ts');
const INDEX = 'index.json';
/** Old bundles are removed once they are this old (a process started before a rebuild may still load one). */
const KEEP_OLD_MS = 24 * 3600 * 1000;

/** `[mtimeMs, size]` of a file, or null when it is gone. */
function fingerprint(path) {
  try {
    const s = statSync(path);
    return [s.mtimeMs, s.size];
  } catch {
    return null;
  }
}

/**
 * True when the bundle the index names is there and every input it lists still has the mtime and
 * size it was built from.
 */
export function isFresh(index, dir, root = ROOT) {
  if (!index || typeof index.inputs !== 'object' || typeof index.bundle !== 'string') return false;
  if (!fingerprint(join(dir, index.bundle))) return false;
  for (const [path, was] of Object.entries(index.inputs)) {
    const now = fingerprint(resolve(root, path));
    if (!now || now[0] !== was[0] || now[1] !== was[1]) return false;
  }
  return true;
}

function readIndex(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, INDEX), 'utf8'));
  } catch {
    return null;
  }
}

/** Builds the bundle into `dir`; returns its index (what it was built from, where it is). */
export async function build(dir, { root = ROOT, entry = ENTRY } = {}) {
  // First, so an unwritable cache fails before esbuild's work is spent, not after it.
  mkdirSync(dir, { recursive: true });
  const esbuild = await import('esbuild');
  const started = Date.now();
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies stay imports, resolved from this package's node_modules as before.
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const name = `cli-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  const inputs = {};
  let editedDuringBuild = false;
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(root, input);
    const print = fingerprint(path);
    if (!print || print[0] >= started) editedDuringBuild = true;
    inputs[relative(root, path)] = print;
  }
  // The bundle sits in node_modules/.cache: imports of packages resolve from there as from bin/.
  writeAtomically(join(dir, name), code);
  const index = { bundle: name, inputs };
  // A source saved while esbuild read it may be in the bundle in either version: use the bundle
  // this once, but leave the index stale so the next run builds again.
  if (!editedDuringBuild) writeAtomically(join(dir, INDEX), JSON.stringify(index));
  removeOld(dir, name);
  return index;
}

function writeAtomically(path, data) {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function removeOld(dir, keep) {
  for (const file of readdirSync(dir)) {
    if (file === keep || file === INDEX) continue;
    const path = join(dir, file);
    const print = fingerprint(path);
    if (print && Date.now() - print[0] > KEEP_OLD_MS) rmSync(path, { force: true });
  }
}

/**
 * The URL of a bundle of the CLI that matches its sources (building it when needed), or null when
 * none can be had here (the caller then runs cli/main.ts through tsx).
 */
export async function cliBundle({ dir = join(ROOT, 'node_modules', '.cache', 'cairn-cli') } = {}) {
  if (process.env.CAIRN_CLI_NO_BUNDLE) return null;
  try {
    let index = readIndex(dir);
    if (!isFresh(index, dir)) index = await build(dir);
    return pathToFileURL(join(dir, index.bundle)).href;
  } catch {
    return null;
  }
}
