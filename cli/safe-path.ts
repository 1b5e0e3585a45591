/**
 * Where a manifest path may be written under a target directory. The registry refuses unsafe
 * paths at publish, but `pull` does not trust that: a path that is absolute, has an empty, `.`
 * or `..` segment, a backslash or a NUL, or lands outside the directory through a symlinked
 * parent is refused before any byte is written.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { CliError, EXIT } from './exit-codes';

/** Why a manifest path is unsafe to write, or null when it is fine. */
export function unsafePathReason(path: string): string | null {
  if (path.length === 0) return 'empty path';
  if (path.includes('\0')) return 'NUL byte in path';
  if (path.includes('\\')) return 'backslash in path';
  if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) return 'absolute path';
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `"${segment}" segment`;
  }
  return null;
}

function escapeError(path: string, reason: string): CliError {
  return new CliError(
    EXIT.VERIFY_FAILED,
    `refusing to write ${JSON.stringify(path)}: ${reason}; it would escape the target directory`,
    'the manifest is not one this registry would accept: report it',
  );
}

/** The absolute destination of `path` under `root`, or a CliError (exit 6) if it would escape. */
export function safeJoin(root: string, path: string): string {
  const reason = unsafePathReason(path);
  if (reason) throw escapeError(path, reason);
  const base = resolve(root);
  const target = resolve(join(base, ...path.split('/')));
  if (!target.startsWith(base + sep)) throw escapeError(path, 'outside the target directory');
  return target;
}

/** After the parent directory exists: it must really be inside the root (no symlink out). */
export async function assertRealParentInside(root: string, parent: string, path: string): Promise<void> {
  const [realRoot, realParent] = await Promise.all([realpath(root), realpath(parent)]);
  if (realParent !== realRoot && !realParent.startsWith(realRoot + sep)) {
    throw escapeError(path, `its directory resolves to ${realParent}`);
  }
}
