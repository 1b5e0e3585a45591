/**
 * Pipfile.lock: JSON with `default` and `develop` sections mapping a package name to
 * `{ "version": "==1.2.3", "hashes": [...], "markers": ... }`. Both sections are merged into
 * one namespace because `pipenv install --dev` installs them into the same site-packages, where
 * a name has one version; if the sections disagree, both versions are kept. The leading `==`
 * (or `===`) is dropped; entries without a version (git, path, file URL) are described by
 * their source (`git+URL@ref`, the path, the URL), or `*`.
 */
import { isRecord, normalisePythonName, PackageCollector } from './common';

function describe(entry: Record<string, unknown>): string {
  const { version, git, ref, path, file } = entry;
  if (typeof version === 'string' && version !== '') return version.replace(/^===?/, '');
  if (typeof git === 'string')
    return typeof ref === 'string' && ref !== '' ? `git+${git}@${ref}` : `git+${git}`;
  if (typeof path === 'string') return path;
  if (typeof file === 'string') return file;
  return '*';
}

export function parsePipfileLock(text: string): Map<string, string> | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(doc)) return null;
  const sections = [doc.default, doc.develop].filter((s) => s !== undefined);
  if (sections.length === 0) return null;
  const packages = new PackageCollector();
  for (const section of sections) {
    if (!isRecord(section)) return null;
    for (const [name, entry] of Object.entries(section)) {
      if (typeof entry === 'string')
        packages.add(normalisePythonName(name), entry.replace(/^===?/, '') || '*');
      else if (isRecord(entry)) packages.add(normalisePythonName(name), describe(entry));
      else return null;
    }
  }
  return packages.finish();
}
