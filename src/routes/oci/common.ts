/**
 * What the /v2 route modules share: the `{ns}/{name}` parameters (Cairn's grammar: any other
 * repository name is NAME_INVALID), manifest references (a tag or a sha256 digest), the reads a
 * namespace-limited token may do, and the Location headers of the Distribution Spec. A manifest
 * reference is a tag, a sha256 digest, or a version number (`…/manifests/3`: version 3, pull only).
 */
import { z } from 'zod';
import { type Digest, isDigest, isSettableTag, TAG_RULE } from '../../contract/grammar';
import { ApiError } from '../../errors';
import { canAccessNamespace, type Principal } from '../../services/auth';
import type { Reference } from '../../services/oci/manifests';
import { artifactParams } from '../../validation';

export const repoParams = artifactParams;

export const referenceSchema = z.string().transform((raw: string, ctx): Reference => {
  if (isDigest(raw)) return { kind: 'digest', digest: raw };
  const text: string = raw;
  const shown = text.slice(0, 100);
  if (/^[a-z0-9]+([+._-][a-z0-9]+)*:/.test(text)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${shown}": Cairn stores sha256 digests only (sha256:<64 lowercase hex>)`,
      params: { code: 'DIGEST_INVALID' },
    });
    return z.NEVER;
  }
  if (isSettableTag(text)) return { kind: 'tag', tag: text };
  // All digits: a Cairn version number (`…/manifests/3` is version 3), to pull only.
  if (/^[1-9]\d{0,15}$/.test(text) && Number.isSafeInteger(Number(text)))
    return { kind: 'number', number: Number(text) };
  ctx.addIssue({
    code: 'custom',
    message: `"${shown}": ${TAG_RULE}, not all digits`,
    params: { code: 'TAG_INVALID' },
  });
  return z.NEVER;
});

/** Reads of another namespace answer as if the repository did not exist (names cannot be probed). */
export function assertRepoReadable(principal: Principal | null, ns: string, name: string): string {
  if (!canAccessNamespace(principal, ns)) {
    throw new ApiError('ARTIFACT_UNKNOWN', `no repository ${ns}/${name}`, { name: `${ns}/${name}` });
  }
  return `${ns}/${name}`;
}

export const blobLocation = (repo: string, digest: Digest | string) => `/v2/${repo}/blobs/${digest}`;
export const uploadLocation = (repo: string, id: string) => `/v2/${repo}/blobs/uploads/${id}`;
export const manifestLocation = (repo: string, digest: string) => `/v2/${repo}/manifests/${digest}`;

/** `?n=&last=` of the paginated lists (tags, catalog): at most n names after `last`. */
export const pageQuery = z.object({
  n: z.coerce.number().int().min(0).max(10_000).optional(),
  last: z.string().max(256).optional(),
});

/**
 * The page size to read (n, or 1,000 when the client did not ask), and the spec's
 * `Link: <…?n=&last=>; rel="next"` when an asked-for page came back full.
 */
export function paging(path: string, n: number | undefined) {
  const limit = n ?? 1000;
  return {
    limit,
    link(names: readonly string[]): Record<string, string> {
      if (n === undefined || limit === 0 || names.length < limit) return {};
      return { Link: `<${path}?n=${limit}&last=${encodeURIComponent(names.at(-1)!)}>; rel="next"` };
    },
  };
}
