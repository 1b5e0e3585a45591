/**
 * conda environment.yml (and conda-lock.yml). YAML, read with the maintained `yaml` package
 * (its browser build: no Node APIs) as one document, with alias expansion capped against
 * "billion laughs" inputs.
 *
 * `dependencies:` entries are conda match specs: `numpy`, `python=3.11`, `numpy==1.26`,
 * `numpy>=1.26,<2`, `numpy=1.26.0=py311h64a7726_0`, `numpy 1.26.0 py311h64a7726_0`,
 * `conda-forge::pandas=2.1.0`, `numpy[version='>=1.26']`. The channel is dropped from the key;
 * the build string is kept in the version (`1.26.0=py311h64a7726_0`) because a new build of the
 * same version (CPU vs CUDA, another Python ABI) is a different install. Conda names are only
 * lowercased: conda treats `-`, `_` and `.` as distinct, unlike PEP 503.
 *
 * The nested `- pip: [...]` list is parsed as requirement lines and keyed `pip:<PEP 503 name>`:
 * a conda `scikit-learn` and a pip `scikit-learn` are different installs from different builds,
 * and `:` cannot occur in a conda name, so the two namespaces never collide.
 *
 * conda-lock.yml (`package:` list of `{name, version, manager, platform}`) uses the same keys;
 * a package locked at different versions for different platforms keeps all of them.
 */
import { parseDocument } from 'yaml';
import { isRecord, normalisePythonName, PackageCollector } from './common';
import { parseRequirementLine } from './requirements';

export const PIP_PREFIX = 'pip:';

function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  return doc.toJS({ maxAliasCount: 100 });
}

const CONDA_NAME_RE = /^([A-Za-z0-9_][A-Za-z0-9_.+-]*?)\s*(?=$|[=<>!~\s[])/;
const BRACKET_RE = /^\[([^\]]*)\]$/;

/** One conda match spec → [key, version], or null when it is not one. */
export function parseMatchSpec(spec: string): [string, string] | null {
  let s = spec.trim();
  const channelEnd = s.lastIndexOf('::');
  if (channelEnd >= 0) s = s.slice(channelEnd + 2).trim();
  const named = CONDA_NAME_RE.exec(s);
  if (!named) return null;
  const name = named[1]!.toLowerCase();
  const rest = s.slice(named[0].length).trim();
  let version: string;
  if (rest === '') version = '*';
  else if (rest.startsWith('[')) {
    const bracket = BRACKET_RE.exec(rest);
    if (!bracket) return null;
    const fields = new Map<string, string>();
    for (const m of bracket[1]!.matchAll(/(\w+)\s*=\s*(?:'([^']*)'|"([^"]*)"|([^,\s]+))/g)) {
      fields.set(m[1]!, (m[2] ?? m[3] ?? m[4])!);
    }
    const v = fields.get('version') ?? '*';
    const build = fields.get('build');
    version = build ? `${v}=${build}` : v;
  } else if (rest.startsWith('==')) version = rest.slice(2).trim();
  else if (rest.startsWith('=')) version = rest.slice(1).trim();
  else if (/^[<>!~]/.test(rest)) version = rest.replace(/\s+/g, '');
  else {
    // Space-separated form: `version [build]`.
    const parts = rest.split(/\s+/);
    if (parts.length > 2) return null;
    version = parts.join('=');
  }
  if (version === '' || /\s/.test(version)) return null;
  return [name, version];
}

function parseEnvironment(dependencies: unknown): Map<string, string> | null {
  if (!Array.isArray(dependencies)) return null;
  const packages = new PackageCollector();
  for (const dep of dependencies) {
    if (typeof dep === 'string') {
      const parsed = parseMatchSpec(dep);
      if (!parsed) return null;
      packages.add(parsed[0], parsed[1]);
    } else if (isRecord(dep) && Object.keys(dep).length === 1 && Array.isArray(dep.pip)) {
      for (const line of dep.pip) {
        if (typeof line !== 'string') return null;
        const req = parseRequirementLine(line);
        if (req.kind === 'invalid') return null;
        if (req.kind === 'package') packages.add(PIP_PREFIX + req.name, req.version);
      }
    } else if (dep !== null) {
      // `- ` with nothing after it is null in YAML; anything else is not a spec.
      return null;
    }
  }
  return packages.finish();
}

function parseCondaLock(list: unknown[]): Map<string, string> | null {
  const packages = new PackageCollector();
  for (const entry of list) {
    if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') return null;
    const version = typeof entry.version === 'string' && entry.version !== '' ? entry.version : '*';
    const key =
      entry.manager === 'pip' ? PIP_PREFIX + normalisePythonName(entry.name) : entry.name.toLowerCase();
    packages.add(key, version);
  }
  return packages.finish();
}

export function parseCondaEnvironment(text: string): Map<string, string> | null {
  const doc = parseYaml(text);
  if (!isRecord(doc)) return null;
  if ('dependencies' in doc) return parseEnvironment(doc.dependencies);
  if (Array.isArray(doc.package) && isRecord(doc.metadata)) return parseCondaLock(doc.package);
  return null;
}
