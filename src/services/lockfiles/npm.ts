/**
 * package-lock.json (and npm-shrinkwrap.json). lockfileVersion 2 and 3 describe the tree as a
 * flat `packages` map keyed by install path; version 1 only as nested `dependencies`.
 *
 * Key: the install path minus its leading `node_modules/`, so a hoisted package is keyed by its
 * name (`lodash`, `@babel/core`) and a nested copy by its path (`a/node_modules/b`), and a
 * package under a workspace folder by its full path (`packages/app/node_modules/b`). The path,
 * not the name, is npm's identity for an installed copy: two versions of `b` can be installed at
 * once, and keying "by name when unique" would re-key unrelated entries whenever a second copy
 * appears or disappears. Version 1 nesting is translated to the same paths, so a v1 and a v3 lock
 * of the same tree give the same map. The root `""` entry (the project) and workspace source
 * folders (paths outside any node_modules/) are skipped; a workspace link (`link: true`) takes
 * the version of the folder it points to. A v1 walk uses an explicit stack: nesting depth is
 * the input's to choose, and
 * the total length of the keys it builds is capped (a long name over many nested children would
 * otherwise repeat in every child's key: quadratic output from linear input).
 */
import { isRecord } from './common';

const NODE_MODULES = 'node_modules/';

function fromPackages(packages: Record<string, unknown>): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const [path, entry] of Object.entries(packages)) {
    if (path === '') continue;
    if (!isRecord(entry)) return null;
    let key: string;
    if (path.startsWith(NODE_MODULES)) key = path.slice(NODE_MODULES.length);
    else if (path.includes(`/${NODE_MODULES}`)) key = path;
    else continue; // a workspace's source folder; its `node_modules/<name>` link is what is installed
    let version: string | null = typeof entry.version === 'string' ? entry.version : null;
    if (version === null && entry.link === true && typeof entry.resolved === 'string') {
      const target = packages[entry.resolved];
      version =
        isRecord(target) && typeof target.version === 'string' ? target.version : `link:${entry.resolved}`;
    }
    if (version === null && typeof entry.resolved === 'string') version = entry.resolved;
    out.set(key, version ?? '*');
  }
  return out;
}

function fromDependencies(
  dependencies: Record<string, unknown>,
  keyBudget: number,
): Map<string, string> | null {
  const out = new Map<string, string>();
  let keyChars = 0;
  const stack: [string, Record<string, unknown>][] = [['', dependencies]];
  while (stack.length > 0) {
    const [prefix, deps] = stack.pop()!;
    for (const [name, entry] of Object.entries(deps)) {
      if (!isRecord(entry)) return null;
      const key = prefix + name;
      keyChars += key.length;
      if (keyChars > keyBudget) return null;
      out.set(key, typeof entry.version === 'string' ? entry.version : '*');
      if (entry.dependencies !== undefined) {
        if (!isRecord(entry.dependencies)) return null;
        stack.push([`${key}/${NODE_MODULES}`, entry.dependencies]);
      }
    }
  }
  return out;
}

export function parsePackageLock(text: string): Map<string, string> | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(doc) || typeof doc.lockfileVersion !== 'number') return null;
  if (isRecord(doc.packages)) return fromPackages(doc.packages);
  if (isRecord(doc.dependencies)) return fromDependencies(doc.dependencies, 2 * text.length + 1_048_576);
  if (doc.packages === undefined && doc.dependencies === undefined) return new Map();
  return null;
}
