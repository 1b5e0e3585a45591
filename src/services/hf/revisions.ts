/**
 * Hub revisions over Cairn versions. The Hub names a commit by 40 hex characters; Cairn names a
 * version by the SHA-256 of its manifest. A version's commit id is the first 40 hex characters of
 * that digest: stable (the manifest never changes), derived from content like a git commit id, and
 * unique within an artifact in practice (a 160-bit prefix). Everywhere the Hub takes a revision
 * (`resolve/{rev}`, `tree/{rev}`, `revision/{rev}`, a commit's `parentCommit`) Cairn accepts a
 * commit id, a branch (= a Cairn tag, `HEAD` meaning `main`), or a Cairn version number.
 */
import { and, eq, like } from 'drizzle-orm';
import { hexOf, isDigest, parseSelector } from '../../contract/grammar';
import { type ArtifactRow, type VersionRow, versions } from '../../db/schema';
import type { Deps } from '../../deps';
import { findVersion } from '../artifacts';

export const COMMIT_ID_RE = /^[0-9a-f]{40}$/;
export const DEFAULT_BRANCH = 'main';

export function commitIdOf(digest: string): string {
  if (!isDigest(digest)) throw new Error(`not a digest: ${digest}`);
  return hexOf(digest).slice(0, 40);
}

/** The branch a revision names when it names one (`HEAD` is the default branch). */
export function branchOf(revision: string): string {
  return revision === 'HEAD' ? DEFAULT_BRANCH : revision;
}

/** The version a revision names in `artifact`, or undefined (unknown or malformed alike). */
export async function resolveRevision(
  deps: Deps,
  artifact: ArtifactRow,
  revision: string,
): Promise<VersionRow | undefined> {
  if (COMMIT_ID_RE.test(revision)) {
    const byCommit = await deps.db.query.versions.findFirst({
      where: and(eq(versions.artifactId, artifact.id), like(versions.digest, `sha256:${revision}%`)),
    });
    if (byCommit) return byCommit;
  }
  const selector = parseSelector(branchOf(revision));
  return selector.ok ? findVersion(deps, artifact.id, selector.value) : undefined;
}

/** Whether the artifact has any version (a repo created by the Hub API may have none yet). */
export async function hasVersions(deps: Deps, artifactId: number): Promise<boolean> {
  const row = await deps.db.query.versions.findFirst({
    columns: { id: true },
    where: eq(versions.artifactId, artifactId),
  });
  return row !== undefined;
}
