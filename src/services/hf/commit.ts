/**
 * A Hub commit (`POST /api/{type}s/{ns}/{name}/commit/{branch}`) as a Cairn version. The Hub's
 * rule is Cairn's: a commit names only what changes, so the new version is the branch head's files
 * with the commit's additions, replacements and deletions applied. Then, in this order:
 *   1. the branch (a Cairn tag) is checked against `parentCommit`, before anything is written,
 *      so an expected refusal leaves no trace;
 *   2. the version is published through the one publish service (blobs must be stored and
 *      visible with the declared sizes, the branch's policy met; the parent version is its
 *      `parent` lineage input), and the branch moves in publish's own batch by compare-and-swap
 *      from the head read in step 1: a concurrent commit landing in between aborts the batch
 *      (services/tag-guard.ts), so the loser is refused with nothing written.
 * A commit that changes nothing answers the head's commit id and publishes nothing.
 */
import { and, eq } from 'drizzle-orm';
import type { Digest } from '../../contract/grammar';
import { type ArtifactRow, type Kind, type VersionRow, versionFiles } from '../../db/schema';
import type { Deps } from '../../deps';
import { findVersion } from '../artifacts';
import type { Principal } from '../auth';
import { type PublishFailure, publishVersion } from '../publish';
import type { Failure, Result } from '../result';
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
  | Exclude<PublishFailure, { reason: 'tag-conflict' }>;

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
      tags: [branch],
      labels: { 'hf.commit.summary': request.summary.slice(0, 1024) },
    },
    { origin, expect: { [branch]: head?.digest ?? null }, tagReason: `hf commit: ${request.summary}` },
  );
  if (!published.ok) {
    if (published.reason !== 'tag-conflict') return published;
    const current = published.current && commitIdOf(published.current);
    return { ok: false, reason: 'parent-mismatch', head: current, parent: headId ?? '' };
  }
  if (published.kind !== 'published') throw new Error('a Hub commit is never an idempotent replay');
  return { ok: true, commitId: commitIdOf(published.digest), version: published.version, created: true };
}
