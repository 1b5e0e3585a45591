/**
 * Hub repositories over Cairn artifacts: a model or dataset repo `ns/name` is the artifact
 * `ns/name` of that kind. Creating one makes the artifact (without a version: the Hub's empty
 * repo) and is idempotent, as `create_repo(exist_ok=True)` expects; a name taken by another kind
 * is a conflict. A repo's files at a revision are its version's files; folders are implied by
 * paths, as in git.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { runBatch } from '../../db/client';
import { type ArtifactRow, type Kind, versionFiles } from '../../db/schema';
import type { Deps } from '../../deps';
import { findArtifact } from '../artifacts';
import { actorOf, type Principal } from '../auth';
import type { Result } from '../result';

export type RepoType = 'model' | 'dataset';

export type CreateRepoResult = Result<
  { artifact: ArtifactRow; created: boolean },
  { ok: false; reason: 'kind-conflict'; kind: Kind }
>;

export async function createRepo(
  deps: Deps,
  name: string,
  kind: RepoType,
  principal: Principal,
): Promise<CreateRepoResult> {
  const [inserted] = await runBatch(deps.db, [
    sql`INSERT INTO artifacts (name, namespace, kind, created_at, created_by)
        VALUES (${name}, ${name.slice(0, name.indexOf('/'))}, ${kind}, ${deps.now()}, ${actorOf(principal)})
        ON CONFLICT (name) DO NOTHING RETURNING id`,
  ]);
  const artifact = await findArtifact(deps, name);
  if (!artifact) throw new Error(`artifact ${name} neither created nor found`);
  if (artifact.kind !== kind) return { ok: false, reason: 'kind-conflict', kind: artifact.kind };
  return { ok: true, artifact, created: (inserted?.length ?? 0) > 0 };
}

export interface RepoFile {
  path: string;
  digest: string;
  size: number;
}

export async function repoFiles(deps: Deps, versionId: number): Promise<RepoFile[]> {
  return deps.db
    .select({ path: versionFiles.path, digest: versionFiles.digest, size: versionFiles.size })
    .from(versionFiles)
    .where(and(eq(versionFiles.versionId, versionId), eq(versionFiles.role, 'file')))
    .orderBy(asc(versionFiles.path));
}

export type TreeEntry = { type: 'file'; file: RepoFile } | { type: 'directory'; path: string };

/**
 * The entries under `folder` ('' for the root): its files and folders, or with `recursive` every
 * file and folder below it, ordered by path. undefined when `folder` is no folder of the version.
 */
export function treeEntries(
  files: readonly RepoFile[],
  folder: string,
  recursive: boolean,
): TreeEntry[] | undefined {
  const prefix = folder === '' ? '' : `${folder.replace(/\/+$/, '')}/`;
  const below = files.filter((f) => f.path.startsWith(prefix));
  if (prefix !== '' && below.length === 0) return undefined;
  const dirs = new Set<string>();
  const entries: TreeEntry[] = [];
  for (const file of below) {
    const rest = file.path.slice(prefix.length).split('/');
    const depth = recursive ? rest.length - 1 : Math.min(rest.length - 1, 1);
    for (let i = 1; i <= depth; i++) dirs.add(prefix + rest.slice(0, i).join('/'));
    if (recursive || rest.length === 1) entries.push({ type: 'file', file });
  }
  for (const path of dirs) entries.push({ type: 'directory', path });
  return entries.sort((a, b) => {
    const pa = a.type === 'file' ? a.file.path : a.path;
    const pb = b.type === 'file' ? b.file.path : b.path;
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
}

/** What a git LFS pointer file for these bytes weighs (the Hub reports it as `pointerSize`). */
export function pointerSize(size: number): number {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${'0'.repeat(64)}\nsize ${size}\n`.length;
}
