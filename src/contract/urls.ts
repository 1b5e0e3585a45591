/**
 * The manifest URL: what publish and resolve answer and deployments pin. Built here only, so the
 * server's answers, its idempotency records and the clients agree on it.
 */
import { type Digest, isDigest } from './grammar';

/** The path every manifest URL starts with; the digest follows. */
const MANIFESTS_PATH = '/v1/manifests/';

export function manifestPath(digest: string): string {
  return `${MANIFESTS_PATH}${digest}`;
}

/** `https://host/v1/manifests/sha256:…` (`origin` without a trailing slash). */
export function manifestUrl(origin: string, digest: string): string {
  return `${origin}${manifestPath(digest)}`;
}

/** The digest a manifest URL (or path) names, or null when it is not one. */
export function digestOfManifestUrl(url: string): Digest | null {
  const i = url.lastIndexOf(MANIFESTS_PATH);
  const digest = i < 0 ? '' : url.slice(i + MANIFESTS_PATH.length);
  return isDigest(digest) ? digest : null;
}

/**
 * What an OCI client pulls a version by: `host/ns/name:<number>` (`/v2` serves version numbers as
 * references, README "Use Cairn as an OCI registry"), e.g. for `skopeo copy docker://…`.
 */
export function ociReference(origin: string, artifact: string, version: number): string {
  return `${new URL(origin).host}/${artifact}:${version}`;
}
