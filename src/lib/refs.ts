/**
 * Refs name one version: `ns/name:tag` (mutable), `ns/name@<n>` or `ns/name@sha256:<hex>`
 * (immutable). A selector alone (`latest`, `3`, `sha256:…`) is what version URLs take.
 */
import { type Digest, isDigest } from './digest';

export const SEGMENT_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const NUMBER_RE = /^[1-9]\d{0,15}$/;

export type Selector =
  | { kind: 'tag'; tag: string }
  | { kind: 'number'; number: number }
  | { kind: 'digest'; digest: Digest };

export interface Ref {
  /** `ns/name` */
  artifact: string;
  namespace: string;
  selector: Selector;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function isArtifactName(ns: string, name: string): boolean {
  return SEGMENT_RE.test(ns) && SEGMENT_RE.test(name);
}

/** For version URLs: digits are a number, `sha256:` a digest, anything else a tag. */
export function parseSelector(raw: string): Parsed<Selector> {
  if (raw.startsWith('sha256:')) {
    return isDigest(raw)
      ? { ok: true, value: { kind: 'digest', digest: raw } }
      : { ok: false, reason: 'bad digest' };
  }
  if (/^\d+$/.test(raw)) {
    return NUMBER_RE.test(raw)
      ? { ok: true, value: { kind: 'number', number: Number(raw) } }
      : { ok: false, reason: 'version numbers start at 1' };
  }
  return TAG_RE.test(raw) ? { ok: true, value: { kind: 'tag', tag: raw } } : { ok: false, reason: 'bad tag' };
}

export function parseRef(raw: string): Parsed<Ref> {
  const match = /^([^/:@]+)\/([^/:@]+)(?::([^@]+)|@(.+))$/.exec(raw);
  if (!match) return { ok: false, reason: 'a ref is ns/name:tag, ns/name@<number> or ns/name@sha256:<hex>' };
  const [, ns = '', name = '', tag, immutable] = match;
  if (!isArtifactName(ns, name))
    return { ok: false, reason: 'names are lowercase [a-z0-9][a-z0-9._-]{0,63}' };
  let selector: Selector;
  if (tag !== undefined) {
    if (!TAG_RE.test(tag)) return { ok: false, reason: 'tags are [A-Za-z0-9_][A-Za-z0-9._-]{0,127}' };
    selector = { kind: 'tag', tag };
  } else {
    const parsed = parseSelector(immutable ?? '');
    if (!parsed.ok || parsed.value.kind === 'tag') {
      return { ok: false, reason: 'after @ comes a version number or sha256:<64 hex>' };
    }
    selector = parsed.value;
  }
  return { ok: true, value: { artifact: `${ns}/${name}`, namespace: ns, selector } };
}

export function formatSelector(selector: Selector): string {
  switch (selector.kind) {
    case 'tag':
      return `:${selector.tag}`;
    case 'number':
      return `@${selector.number}`;
    case 'digest':
      return `@${selector.digest}`;
  }
}
