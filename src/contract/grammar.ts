/**
 * The grammar of the API's identifiers (docs/API.md "Conventions"), written once: digests,
 * namespaces and names, tags, version numbers and refs. The server's zod schemas
 * (src/validation.ts) and the CLI both build on these, so what one accepts the other accepts.
 * Pure: no Worker, Node or zod imports.
 */

// Digests

/** `sha256:` + 64 lowercase hex. The hex alone is what R2 keys and Git LFS oids use. */
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
export const HEX64_RE = /^[0-9a-f]{64}$/;
export const DIGEST_RULE = 'digest must be "sha256:" followed by 64 lowercase hex characters';

export type Digest = `sha256:${string}`;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

export function hexOf(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

// Names and tags

/** One segment of `ns/name` (a namespace or a name), as a pattern to build larger ones from. */
export const SEGMENT = '[a-z0-9][a-z0-9._-]{0,63}';
export const SEGMENT_RE = new RegExp(`^${SEGMENT}$`);
export const NAME_RULE = `names are lowercase ${SEGMENT}`;
const ARTIFACT_NAME_RE = new RegExp(`^${SEGMENT}/${SEGMENT}$`);

export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const TAG_RULE = 'tags are [A-Za-z0-9_][A-Za-z0-9._-]{0,127}';

export function isSegment(value: unknown): value is string {
  return typeof value === 'string' && SEGMENT_RE.test(value);
}

/** `ns/name`: exactly two segments. */
export function isArtifactName(value: unknown): value is string {
  return typeof value === 'string' && ARTIFACT_NAME_RE.test(value);
}

export function isTag(value: unknown): value is string {
  return typeof value === 'string' && TAG_RE.test(value);
}

/**
 * A tag that can be set: also not all digits, which version URLs would read as a number
 * (`…/versions/1` is version 1). Such a tag stays readable in a ref (`ns/name:007`).
 */
export function isSettableTag(value: unknown): value is string {
  return isTag(value) && !/^\d+$/.test(value);
}

// Version numbers

/** 1, 2, 3…: no sign, no leading zero, at most Number.MAX_SAFE_INTEGER (it must round-trip). */
function parseVersionNumber(raw: string): number | null {
  if (!/^[1-9]\d{0,15}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

// Selectors and refs

/** What a version URL takes after `versions/`: a tag, a number or a digest. */
export type Selector =
  | { kind: 'tag'; tag: string }
  | { kind: 'number'; number: number }
  | { kind: 'digest'; digest: Digest };

/** A ref names one version: `ns/name:tag` (mutable), `ns/name@<n>` or `ns/name@sha256:<hex>`. */
export interface Ref {
  /** `ns/name` */
  artifact: string;
  namespace: string;
  selector: Selector;
}

const REF_RULE = 'a ref is ns/name:tag, ns/name@<number> or ns/name@sha256:<hex>';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** For version URLs: digits are a number, `sha256:` a digest, anything else a tag. */
export function parseSelector(raw: string): Parsed<Selector> {
  if (raw.startsWith('sha256:')) {
    return isDigest(raw)
      ? { ok: true, value: { kind: 'digest', digest: raw } }
      : { ok: false, reason: 'bad digest' };
  }
  if (/^\d+$/.test(raw)) {
    const number = parseVersionNumber(raw);
    return number === null
      ? { ok: false, reason: 'version numbers are 1, 2, 3… (no leading zero)' }
      : { ok: true, value: { kind: 'number', number } };
  }
  return isTag(raw) ? { ok: true, value: { kind: 'tag', tag: raw } } : { ok: false, reason: 'bad tag' };
}

export function parseRef(raw: string): Parsed<Ref> {
  const match = /^([^/:@]+)\/([^/:@]+)(?::([^@]+)|@(.+))$/.exec(raw);
  if (!match) return { ok: false, reason: REF_RULE };
  const [, ns = '', name = '', tag, immutable] = match;
  if (!isSegment(ns) || !isSegment(name)) return { ok: false, reason: NAME_RULE };
  let selector: Selector;
  if (tag !== undefined) {
    if (!isTag(tag)) return { ok: false, reason: TAG_RULE };
    selector = { kind: 'tag', tag };
  } else {
    const parsed = parseSelector(immutable ?? '');
    if (!parsed.ok || parsed.value.kind === 'tag') {
      return { ok: false, reason: 'after @ comes a version number (1, 2, 3…) or sha256:<64 hex>' };
    }
    selector = parsed.value;
  }
  return { ok: true, value: { artifact: `${ns}/${name}`, namespace: ns, selector } };
}

/** The selector as it follows `ns/name` in a ref: `:tag`, `@3` or `@sha256:…`. */
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
