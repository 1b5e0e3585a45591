/**
 * `--lockfile auto`: the environment files that sit next to the code (the git top level, else
 * the current directory), in the formats the registry's diff understands.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

const LOCKFILE_NAMES = [
  'requirements.txt',
  'uv.lock',
  'poetry.lock',
  'Pipfile.lock',
  'environment.yml',
  'package-lock.json',
] as const;

export async function findLockfiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of LOCKFILE_NAMES) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isFile()) found.push(name);
  }
  return found;
}
