/**
 * A Hub commit (`POST /api/{type}s/{ns}/{name}/commit/{branch}`) as a Cairn version. The Hub's
 * rule is Cairn's: a commit names only what changes, so the new version is the branch head's files
 * with the commit's additions, replacements and deletions applied. Then, in this order:
 *   1. the branch (a Cairn tag) is checked against `parentCommit` and its policy, before anything
 *      is written, so an expected refusal leaves no trace;
 *   2. the version is published through the one publish service (blobs must be stored and
 *      visible with the declared sizes; the parent version is its `parent` lineage input);
 *   3. the branch moves by compare-and-swap from the head read in step 1, so a concurrent commit
 *      is refused, never silently overwritten (a lost race leaves the new version untagged).
 * A commit that changes nothing answers the head's commit id and publishes nothing.
 */
import { and, eq } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import { type ArtifactRow, type Kind, type VersionRow, versionFiles } from '../../db/schema';
import type { Deps } from '../../deps';
import { findVersion } from '../artifacts';
import { actorOf, type Principal } from '../auth';
import { type PolicyRule, unmetRules } from '../provenance/policy';
import { type PublishFailure, publishVersion } from '../publish';
import type { Failure, Result } from '../result';
import { moveTag } from '../tags';
import { commitIdOf } from './revisions';

export interface CommitRequest {
  artifact: ArtifactRow;
  kind: Kind;
  branch: string;
  parentCommit: string | undefined;
  summary: string;
  /** Files added or replaced: content by SHA-256 hex (`oid`) and size. */
  files: { path: string; oid: string; size: number }[];
  deletedFiles: string[];
  deletedFolders: string[];
}

export type CommitFailure =
  | Failure<'parent-mismatch', { head: string | null; parent: string }>
  | Failure<'path-unknown', { path: string }>
  | Failure<'policy-unsatisfied', { tag: string; missing: PolicyRule[] }>
  | PublishFailure;

export type CommitResult = Result<
  { commitId: string; version: VersionRow | number; created: boolean },
  CommitFailure
>;

type FileEntry = { path: string; digest: Digest; size: number };

async function headFiles(deps: Deps, head: VersionRow | undefined): Promise<Map<string, FileEntry>> {
  if (!head) return new Map();
  const rows = await deps.db
    .select({ path: versionFiles.path, digest: versionFiles.digest, size: versionFiles.size })
    .from(versionFiles)
    .where(and(eq(versionFiles.versionId, head.id), eq(versionFiles.role, 'file')));
  return new Map(rows.map((r) => [r.path, { path: r.path, digest: r.digest as Digest, size: r.size }]));
}

/** The head's files with the commit applied, or the first deletion naming nothing. */
function applyCommit(
  files: Map<string, FileEntry>,
  request: CommitRequest,
): Result<{ files: Map<string, FileEntry> }, Failure<'path-unknown', { path: string }>> {
  const next = new Map(files);
  for (const path of request.deletedFiles) {
    if (!next.delete(path)) return { ok: false, reason: 'path-unknown', path };
  }
  for (const folder of request.deletedFolders) {
    const prefix = `${folder.replace(/\/+$/, '')}/`;
    const inside = [...next.keys()].filter((p) => p.startsWith(prefix));
    if (inside.length === 0) return { ok: false, reason: 'path-unknown', path: folder };
    for (const p of inside) next.delete(p);
  }
  for (const f of request.files) next.set(f.path, { path: f.path, digest: `sha256:${f.oid}`, size: f.size });
  return { ok: true, files: next };
}

function sameFiles(a: Map<string, FileEntry>, b: Map<string, FileEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [path, f] of a) {
    const other = b.get(path);
    if (!other || other.digest !== f.digest) return false;
  }
  return true;
}

export async function commitToBranch(
  deps: Deps,
  principal: Principal,
  request: CommitRequest,
  origin: string,
): Promise<CommitResult> {
  const { artifact, branch } = request;
  const head = await findVersion(deps, artifact.id, { kind: 'tag', tag: branch });
  const headId = head ? commitIdOf(head.digest) : null;
  if (request.parentCommit !== undefined && request.parentCommit !== headId) {
    return { ok: false, reason: 'parent-mismatch', head: headId, parent: request.parentCommit };
  }
  const before = await headFiles(deps, head);
  const applied = applyCommit(before, request);
  if (!applied.ok) return applied;
  if (head && sameFiles(applied.files, before)) {
    return { ok: true, commitId: commitIdOf(head.digest), version: head, created: false };
  }
  const unmet = await unmetRules(deps, artifact.id, branch, undefined);
  if (unmet.length > 0) return { ok: false, reason: 'policy-unsatisfied', tag: branch, missing: unmet };

  const parentRef = head
    ? [
        {
          role: 'parent',
          ref: {
            artifact: artifact.name,
            namespace: artifact.namespace,
            selector: { kind: 'number' as const, number: head.number },
            raw: `${artifact.name}@${head.number}`,
          },
        },
      ]
    : [];
  const published = await publishVersion(
    deps,
    principal,
    artifact.name,
    {
      kind: request.kind,
      files: [...applied.files.values()].sort((x, y) => (x.path < y.path ? -1 : 1)),
      inputs: parentRef,
      tags: [],
      labels: { 'hf.commit.summary': request.summary.slice(0, 1024) },
    },
    { origin },
  );
  if (!published.ok) return published;
  if (published.kind !== 'published') throw new Error('a Hub commit is never an idempotent replay');
  const moved = await moveTag(
    deps,
    artifact,
    {
      tag: branch,
      digest: published.digest,
      expect: head?.digest ?? null,
      reason: `hf commit: ${request.summary}`,
    },
    actorOf(principal),
    origin,
  );
  if (!moved.ok) {
    if (moved.reason === 'policy-unsatisfied') return moved;
    return {
      ok: false,
      reason: 'parent-mismatch',
      head: moved.current && commitIdOf(moved.current),
      parent: headId ?? '',
    };
  }
  return { ok: true, commitId: commitIdOf(published.digest), version: published.version, created: true };
}
