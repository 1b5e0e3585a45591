/**
 * The UI's stable, shareable URLs (one place builds them, so links and routes agree). Names are
 * `[a-z0-9._-]` already; every segment is still percent-encoded so no value can break out of
 * its place in a URL.
 */
const enc = encodeURIComponent;

function nameSegments(artifact: string): string {
  return artifact.split('/').map(enc).join('/');
}

export const UI_ROOT = '/ui';
export const LOGIN_PATH = '/ui/login';
export const LOGOUT_PATH = '/ui/logout';
export const API_PAGE = '/ui/api';

export function artifactUrl(artifact: string, query: Record<string, string | undefined> = {}): string {
  return withQuery(`/ui/artifacts/${nameSegments(artifact)}`, query);
}

/** `sel` is a version number, a tag or a `sha256:` digest. */
export function versionUrl(artifact: string, sel: string | number): string {
  return `/ui/artifacts/${nameSegments(artifact)}/versions/${enc(String(sel))}`;
}

export function fileUrl(artifact: string, version: number, path: string): string {
  return `${versionUrl(artifact, version)}/files/${path.split('/').map(enc).join('/')}`;
}

export function explainUrl(artifact: string, tag: string): string {
  return `/ui/artifacts/${nameSegments(artifact)}/tags/${enc(tag)}/explain`;
}

export function diffUrl(from: string, to: string): string {
  return withQuery('/ui/diff', { from, to });
}

export function listUrl(query: Record<string, string | undefined> = {}): string {
  return withQuery(UI_ROOT, query);
}

export function loginUrl(next?: string): string {
  return withQuery(LOGIN_PATH, { next });
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
