/**
 * Which parser a file gets, from its basename alone (case-insensitive): lockfile names are
 * conventional and the manifest records paths, so content sniffing is needed only for a generic
 * `*.txt`, which is read as pip freeze output only if every line parses and at least one pins a
 * version (prose and other text files then fall back to a line diff).
 */
import type { LockfileFormat } from './types';

export type Detected = LockfileFormat | 'pip-freeze-candidate';

export function basename(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(slash + 1);
}

export function detectFormat(path: string): Detected | null {
  const name = basename(path).toLowerCase();
  if (name === 'uv.lock') return 'uv';
  if (name === 'poetry.lock') return 'poetry';
  if (name === 'pipfile.lock') return 'pipfile';
  if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') return 'npm';
  if (/^(?:environment|conda)[^/]*\.ya?ml$/.test(name)) return 'conda';
  if (/^requirements[^/]*\.txt$/.test(name)) return 'requirements';
  if (name.endsWith('.txt')) return 'pip-freeze-candidate';
  return null;
}
