/**
 * Lockfiles for the environment pillar of `GET /v1/diff`: parse each known format into a flat
 * name → version map and compare package by package, so "production got worse: was it the
 * environment?" is answered with `scikit-learn 1.3.0 → 1.4.0`, not a text diff. Pure functions,
 * Worker-safe (no Node APIs), bounded: inputs over MAX_LOCKFILE_BYTES are refused, and every
 * parser is linear in its input. One module per format; each explains its own choices.
 */
import { exceedsUtf8Bytes } from './common';
import { parseCondaEnvironment } from './conda';
import { detectFormat } from './detect';
import { parsePackageLock } from './npm';
import { parsePipfileLock } from './pipfile';
import { parsePoetryLock } from './poetry';
import { parseRequirements } from './requirements';
import { MAX_LOCKFILE_BYTES, type ParsedLockfile } from './types';
import { parseUvLock } from './uv';

export { compareVersions, normalisePythonName, VERSION_SEPARATOR } from './common';
export { PIP_PREFIX, parseCondaEnvironment, parseMatchSpec } from './conda';
export { basename, detectFormat } from './detect';
export { DEFAULT_MAX_LINES, diffLines, diffPackages } from './diff';
export { parsePackageLock } from './npm';
export { parsePipfileLock } from './pipfile';
export { parsePoetryLock } from './poetry';
export { parseRequirementLine, parseRequirements } from './requirements';
export type { LockfileFormat, PackageChange, ParsedLockfile } from './types';
export { MAX_LOCKFILE_BYTES } from './types';
export { parseUvLock } from './uv';

/**
 * Detect the format from the path's basename and parse; null when the format is unknown, the
 * text does not parse, or it is larger than MAX_LOCKFILE_BYTES (the caller then falls back to a
 * line diff). Never throws.
 */
export function parseLockfile(path: string, text: string): ParsedLockfile | null {
  try {
    if (typeof path !== 'string' || typeof text !== 'string') return null;
    if (exceedsUtf8Bytes(text, MAX_LOCKFILE_BYTES)) return null;
    const detected = detectFormat(path);
    switch (detected) {
      case 'requirements':
        return wrap('requirements', parseRequirements(text));
      case 'pip-freeze-candidate':
        return wrap('requirements', parseRequirements(text, { requirePinned: true }));
      case 'uv':
        return wrap('uv', parseUvLock(text));
      case 'poetry':
        return wrap('poetry', parsePoetryLock(text));
      case 'pipfile':
        return wrap('pipfile', parsePipfileLock(text));
      case 'conda':
        return wrap('conda', parseCondaEnvironment(text));
      case 'npm':
        return wrap('npm', parsePackageLock(text));
      default:
        return null;
    }
  } catch {
    // Parsers return null on bad input; this is the last guard (e.g. a RangeError on exotic input).
    return null;
  }
}

function wrap(format: ParsedLockfile['format'], packages: Map<string, string> | null): ParsedLockfile | null {
  return packages ? { format, packages } : null;
}
