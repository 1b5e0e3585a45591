/**
 * requirements.txt and `pip freeze` output. pip's own reading rules are followed where they
 * matter for a diff: backslash continuations are joined first (so `--hash` options on the
 * following lines belong to their requirement), `#` starts a comment only at the start of a line
 * or after whitespace (so `#egg=` in URLs survives), and everything from the first ` -option` on
 * a requirement line is an option, not part of the requirement. Option lines (`-r`, `-c`,
 * `--index-url`, ...) name no package and are skipped; `-e`/bare URLs count only when they carry
 * `#egg=name` (the version is then the URL). A requirement pinned with `==` or `===` yields the
 * version; anything else yields its spec with whitespace removed (`>=1.2,<2`), or `*` when it
 * has none. Names are PEP 503-normalised. A line that is none of these makes the whole file
 * unparseable (pip would refuse it too), so the caller falls back to a line diff.
 */
import { normalisePythonName, PackageCollector } from './common';

export type RequirementLine =
  | { kind: 'package'; name: string; version: string; pinned: boolean }
  | { kind: 'skip' }
  | { kind: 'invalid' };

const NAME_RE = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*/;
const CLAUSE_RE = /^(?:~=|==|!=|<=|>=|<|>)[A-Za-z0-9.*+!_-]+$|^===[^,;\s]+$/;
const PINNED_RE = /^==([A-Za-z0-9.+!_-]+)$|^===([^,;\s]+)$/;
const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*$|^(?:git|hg|svn|bzr)\+\S+$/;
const EGG_RE = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)/;
const OPTION_IN_LINE_RE = /\s--?[A-Za-z]/;

/** Cut a pip comment: `#` at the start of the line or after whitespace. Linear. */
export function stripComment(line: string): string {
  let at = line.indexOf('#');
  while (at > 0 && !/\s/.test(line[at - 1]!)) at = line.indexOf('#', at + 1);
  return at < 0 ? line : line.slice(0, at);
}

/** The package named by `#egg=name` in a URL or path, if any. */
function eggPackage(url: string): RequirementLine {
  const egg = EGG_RE.exec(url);
  if (!egg) return { kind: 'skip' };
  return { kind: 'package', name: normalisePythonName(egg[1]!), version: url, pinned: true };
}

/** One logical line (continuations already joined). */
export function parseRequirementLine(raw: string): RequirementLine {
  const line = stripComment(raw).trim();
  if (line === '') return { kind: 'skip' };

  if (line.startsWith('-')) {
    const editable = /^(?:-e|--editable)(?:\s*=\s*|\s+|(?=[^-\s]))(\S+)/.exec(line);
    return editable ? eggPackage(editable[1]!) : { kind: 'skip' };
  }
  if (URL_RE.test(line)) return eggPackage(line);
  // Local paths and archives (`.`, `./pkg`, `/abs/pkg.tar.gz`, `~/x`) name no package by themselves.
  if (/^[./~\\]|^[A-Za-z]:[\\/]/.test(line)) return eggPackage(line);

  const optionAt = line.search(OPTION_IN_LINE_RE);
  const requirement = (optionAt < 0 ? line : line.slice(0, optionAt)).trim();
  const named = NAME_RE.exec(requirement);
  if (!named) return { kind: 'invalid' };
  const name = normalisePythonName(named[1]!);
  let rest = requirement.slice(named[0].length);

  if (rest.startsWith('@')) {
    // PEP 508 URL form: the marker separator after a URL must follow whitespace (URLs may hold `;`).
    const markerAt = rest.search(/\s;/);
    const url = (markerAt < 0 ? rest.slice(1) : rest.slice(1, markerAt)).trim();
    if (url === '' || /\s/.test(url)) return { kind: 'invalid' };
    return { kind: 'package', name, version: url, pinned: true };
  }

  const markerAt = rest.indexOf(';');
  if (markerAt >= 0) rest = rest.slice(0, markerAt);
  let spec = rest.replace(/\s+/g, '');
  if (spec.startsWith('(') && spec.endsWith(')')) spec = spec.slice(1, -1);
  if (spec === '') return { kind: 'package', name, version: '*', pinned: false };
  if (!spec.split(',').every((clause) => CLAUSE_RE.test(clause))) return { kind: 'invalid' };
  const pinned = PINNED_RE.exec(spec);
  if (pinned) return { kind: 'package', name, version: (pinned[1] ?? pinned[2])!, pinned: true };
  return { kind: 'package', name, version: spec, pinned: false };
}

/** pip's line joining: a trailing `\` continues onto the next line; a comment line ends it. */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending: string[] = [];
  for (const physical of text.split(/\r\n|\n|\r/)) {
    const isComment = physical.trimStart().startsWith('#');
    const trimmed = physical.trimEnd();
    if (!isComment && trimmed.endsWith('\\')) {
      pending.push(trimmed.slice(0, -1));
      continue;
    }
    if (pending.length > 0) {
      if (!isComment) pending.push(physical);
      out.push(pending.join(' '));
      pending = [];
    } else {
      out.push(physical);
    }
  }
  if (pending.length > 0) out.push(pending.join(' '));
  return out;
}

export interface RequirementsOptions {
  /** Require at least one pinned line (`==`, `===`, `@ url`, `#egg=`): tells pip freeze from prose. */
  requirePinned?: boolean;
}

/** Parse a requirements file; null when any line is not a requirement, an option or a comment. */
export function parseRequirements(
  text: string,
  options: RequirementsOptions = {},
): Map<string, string> | null {
  const packages = new PackageCollector();
  let pinned = 0;
  for (const line of logicalLines(text)) {
    const parsed = parseRequirementLine(line);
    if (parsed.kind === 'invalid') return null;
    if (parsed.kind === 'package') {
      packages.add(parsed.name, parsed.version);
      if (parsed.pinned) pinned++;
    }
  }
  if (options.requirePinned && pinned === 0) return null;
  return packages.finish();
}
