/**
 * `/hf/api/…`: the Hub's repository API over artifacts and versions: create, info (at a
 * revision), tree listing with `Link` pagination, preupload (everything is LFS: Cairn stores every
 * file by digest) and the NDJSON commit (services/hf/commit.ts).
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { ArtifactRow, VersionRow } from '../../db/schema';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { blobsMissing } from '../../http/blob-errors';
import { assertCanMoveTags, assertNamespaceWritable } from '../../http/guards';
import { parseWith, readHfJson } from '../../http/hf';
import { policyUnsatisfied } from '../../http/provenance-errors';
import { unreachable } from '../../lib/unreachable';
import { findVersion } from '../../services/artifacts';
import type { Principal } from '../../services/auth';
import { commitToBranch } from '../../services/hf/commit';
import { commitHistory } from '../../services/hf/history';
import { cardMetadataProblems } from '../../services/hf/model-card';
import { parseCommitBody } from '../../services/hf/ndjson';
import {
  createRepo,
  pointerSize,
  type RepoType,
  repoFiles,
  type TreeEntry,
  treeEntries,
} from '../../services/hf/repos';
import {
  branchOf,
  commitIdOf,
  DEFAULT_BRANCH,
  hasVersions,
  resolveRevision,
} from '../../services/hf/revisions';
import { listTags } from '../../services/tags';
import { segmentSchema, settableTagSchema } from '../../validation';
import { repoTypeOf, requireHfScope, requireRepo } from './access';

const TREE_PAGE = 1000;
const COMMITS_PAGE = 50;

const createSchema = z.object({
  name: z.string(),
  // huggingface_hub sends `null` for a repo id without a namespace.
  organization: z.string().nullish(),
  type: z.string().optional(),
  // The Hub can seed a new repo with inline files; Cairn takes files only through commits.
  files: z.array(z.unknown()).max(0, 'create the repo, then upload its files with a commit').optional(),
});
const validateYamlSchema = z.object({
  content: z.string().max(1024 * 1024),
  repoType: z.enum(['model', 'dataset', 'space']).optional(),
});
const pathsInfoSchema = z.object({
  paths: z.array(z.string().max(4096)).max(1000),
});
const preuploadSchema = z.object({
  files: z.array(z.object({ path: z.string().min(1).max(4096), size: z.number().int().min(0) })).max(1000),
});

function repoUrl(c: Context<AppEnv>, type: RepoType, name: string) {
  return `${new URL(c.req.url).origin}/hf/${type === 'model' ? '' : 'datasets/'}${name}`;
}

/**
 * The version `revision` names; undefined for the default branch of a repo with no commit yet
 * (the Hub's fresh repo has a first commit, so its clients read info and trees right after
 * creating one). 404 RevisionNotFound otherwise.
 */
async function requireRevision(
  c: Context<AppEnv>,
  artifact: ArtifactRow,
  revision: string,
): Promise<VersionRow | undefined> {
  const version = await resolveRevision(c.var.deps, artifact, revision);
  if (version) return version;
  if (branchOf(revision) === DEFAULT_BRANCH && !(await hasVersions(c.var.deps, artifact.id)))
    return undefined;
  throw new ApiError('VERSION_UNKNOWN', `no revision ${revision} in ${artifact.name}`, { revision });
}

async function repoInfo(
  c: Context<AppEnv>,
  type: RepoType,
  artifact: ArtifactRow,
  version: VersionRow | undefined,
) {
  const files = version ? await repoFiles(c.var.deps, version.id) : [];
  const sha = version ? commitIdOf(version.digest) : null;
  return c.json({
    _id: `cairn-${artifact.id}`,
    id: artifact.name,
    ...(type === 'model' ? { modelId: artifact.name } : {}),
    author: artifact.namespace,
    sha,
    private: false,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: [],
    createdAt: new Date(artifact.createdAt).toISOString(),
    lastModified: new Date(version?.createdAt ?? artifact.createdAt).toISOString(),
    cairn: version ? { version: version.number, digest: version.digest } : null,
    siblings: files.map((f) => ({
      rfilename: f.path,
      size: f.size,
      blobId: f.digest.slice(7),
      lfs: { sha256: f.digest.slice(7), size: f.size, pointerSize: pointerSize(f.size) },
    })),
  });
}

/**
 * The namespace of a repo id given without one: on the Hub, the user's; here, the namespace of a
 * token limited to exactly one. Any other token must name it.
 */
function ownNamespace(principal: Principal): string {
  if (principal.namespaces?.length === 1) return principal.namespaces[0]!;
  throw new ApiError(
    'BAD_REQUEST',
    'name the repository "namespace/name": only a token limited to one namespace implies it',
  );
}

const createRoute = new Hono<AppEnv>().post('/create', async (c) => {
  const principal = requireHfScope(c, 'write')!;
  const body = await readHfJson(c, createSchema);
  const type = repoTypeOf(body.type);
  const [ns, name] = body.organization
    ? [body.organization, body.name]
    : body.name.includes('/')
      ? body.name.split('/')
      : [ownNamespace(principal), body.name];
  parseWith(z.object({ ns: segmentSchema, name: segmentSchema }), { ns, name }, 'repository name');
  assertNamespaceWritable(principal, ns!);
  const created = await createRepo(c.var.deps, `${ns}/${name}`, type, principal);
  if (!created.ok) {
    throw new ApiError('KIND_CONFLICT', `${ns}/${name} exists as a ${created.kind}, not a ${type}`, {
      kind: created.kind,
    });
  }
  const { artifact } = created;
  // 200 whether it was created now or existed (Python's create_repo(exist_ok=True) accepts both).
  return c.json({ url: repoUrl(c, type, artifact.name), name: artifact.name, id: artifact.name });
});

/** One entry of a tree listing or a paths-info answer, in the shape `RepoFile` / `RepoFolder` read. */
function entryJson(e: TreeEntry, commit: string) {
  if (e.type === 'directory') return { type: 'directory', oid: commit, size: 0, path: e.path };
  const oid = e.file.digest.slice(7);
  const { size, path } = e.file;
  return { type: 'file', oid, size, path, lfs: { oid, size, pointerSize: pointerSize(size) } };
}

/**
 * The paths-info body: `huggingface_hub` posts it form-encoded (`paths=a&paths=b&expand=False`),
 * `@huggingface/hub` as JSON.
 */
async function readPathsInfo(c: Context<AppEnv>): Promise<unknown> {
  if ((c.req.header('content-type') ?? '').includes('application/x-www-form-urlencoded')) {
    const form = await c.req.parseBody({ all: true });
    const paths = form.paths ?? form['paths[]'] ?? [];
    return { paths: Array.isArray(paths) ? paths : [paths] };
  }
  return readHfJson(c, z.unknown());
}

/** The routes of one repo type, mounted at /api/models and /api/datasets. */
function typedRepoRoutes(type: RepoType) {
  return new Hono<AppEnv>()
    .get('/:ns/:name', async (c) => {
      const { artifact } = await requireRepo(c, type, c.req.param('ns'), c.req.param('name'), 'read');
      const version = await findVersion(c.var.deps, artifact.id, { kind: 'tag', tag: DEFAULT_BRANCH });
      return repoInfo(c, type, artifact, version);
    })
    .get('/:ns/:name/revision/:rev', async (c) => {
      const { artifact } = await requireRepo(c, type, c.req.param('ns'), c.req.param('name'), 'read');
      return repoInfo(c, type, artifact, await requireRevision(c, artifact, c.req.param('rev')));
    })
    .on('GET', ['/:ns/:name/tree/:rev', '/:ns/:name/tree/:rev/*'], async (c) => {
      const { artifact } = await requireRepo(c, type, c.req.param('ns'), c.req.param('name'), 'read');
      const version = await requireRevision(c, artifact, c.req.param('rev'));
      const query = parseWith(
        z.object({
          recursive: z.enum(['true', 'false', '1', '0']).optional(),
          cursor: z.string().max(4096).optional(),
          limit: z.coerce.number().int().min(1).max(TREE_PAGE).default(TREE_PAGE),
        }),
        c.req.query(),
        'query',
      );
      const marker = `/tree/${c.req.param('rev')}/`;
      const at = c.req.path.indexOf(marker);
      const folder = at === -1 ? '' : decodeURIComponent(c.req.path.slice(at + marker.length));
      const entries = treeEntries(
        version ? await repoFiles(c.var.deps, version.id) : [],
        folder,
        query.recursive === 'true' || query.recursive === '1',
      );
      if (!entries)
        throw new ApiError('NOT_FOUND', `no folder ${folder} at ${c.req.param('rev')} of ${artifact.name}`, {
          path: folder,
        });
      const pathOf = (e: (typeof entries)[number]) => (e.type === 'file' ? e.file.path : e.path);
      const start = query.cursor === undefined ? 0 : entries.findIndex((e) => pathOf(e) > query.cursor!);
      const page = start === -1 ? [] : entries.slice(start, start + query.limit);
      const more = start !== -1 && start + query.limit < entries.length;
      if (more) {
        const next = new URL(c.req.url);
        next.searchParams.set('cursor', pathOf(page.at(-1)!));
        c.header('Link', `<${next.href}>; rel="next"`);
      }
      const commit = version ? commitIdOf(version.digest) : '';
      if (version) c.header('X-Repo-Commit', commit);
      return c.json(page.map((e) => entryJson(e, commit)));
    })
    .post('/:ns/:name/paths-info/:rev', async (c) => {
      const { artifact } = await requireRepo(c, type, c.req.param('ns'), c.req.param('name'), 'read');
      const version = await requireRevision(c, artifact, c.req.param('rev'));
      const { paths } = parseWith(pathsInfoSchema, await readPathsInfo(c), 'body');
      const files = version ? await repoFiles(c.var.deps, version.id) : [];
      const commit = version ? commitIdOf(version.digest) : '';
      // What each path is at this revision; a path that is nothing there is left out, as on the Hub.
      const byPath = new Map(files.map((f) => [f.path, f]));
      const folders = new Set(['']);
      for (const f of files) {
        for (let at = f.path.indexOf('/'); at !== -1; at = f.path.indexOf('/', at + 1))
          folders.add(f.path.slice(0, at));
      }
      const entries = [...new Set(paths.map((p) => p.replace(/^\/+|\/+$/g, '')))].flatMap((path) => {
        const file = byPath.get(path);
        if (file) return [entryJson({ type: 'file', file }, commit)];
        return folders.has(path) ? [entryJson({ type: 'directory', path }, commit)] : [];
      });
      return c.json(entries);
    })
    .get('/:ns/:name/commits/:rev', async (c) => {
      const { artifact } = await requireRepo(c, type, c.req.param('ns'), c.req.param('name'), 'read');
      const version = await requireRevision(c, artifact, c.req.param('rev'));
      const { p } = parseWith(
        z.object({ p: z.coerce.number().int().min(0).max(100_000).default(0) }),
        c.req.query(),
        'query',
      );
      if (!version) return c.json([]);
      const page = await commitHistory(
        c.var.deps,
        artifact.id,
        version.id,
        p * COMMITS_PAGE,
        COMMITS_PAGE + 1,
      );
      const after = page[COMMITS_PAGE];
      if (after) {
        // The next page is the history of its own first commit: the chain below a commit never
        // changes (a branch may move), and every page is one short walk, however deep it is.
        const next = new URL(c.req.url);
        next.pathname = next.pathname.replace(/\/commits\/[^/]+$/, `/commits/${commitIdOf(after.digest)}`);
        next.searchParams.delete('p');
        c.header('Link', `<${next.href}>; rel="next"`);
      }
      return c.json(
        page.slice(0, COMMITS_PAGE).map((v) => {
          const title = v.labels?.['hf.commit.summary'] || `version ${v.number}`;
          return {
            id: commitIdOf(v.digest),
            title,
            message: '',
            authors: [{ user: v.createdBy }],
            date: new Date(v.createdAt).toISOString(),
          };
        }),
      );
    })
    .get('/:ns/:name/refs', async (c) => {
      const { artifact } = await requireRepo(c, type, c.req.param('ns'), c.req.param('name'), 'read');
      // Every Cairn tag is a branch a commit can move: there are no immutable git tags to list.
      const tags = await listTags(c.var.deps, artifact.id);
      return c.json({
        branches: Object.entries(tags).map(([name, digest]) => ({
          name,
          ref: `refs/heads/${name}`,
          targetCommit: commitIdOf(digest),
        })),
        converts: [],
        tags: [],
        ...(c.req.query('include_prs') ? { pullRequests: [] } : {}),
      });
    })
    .post('/:ns/:name/preupload/:rev', async (c) => {
      await requireRepo(c, type, c.req.param('ns'), c.req.param('name'), 'write');
      const body = await readHfJson(c, preuploadSchema);
      // Every file goes the LFS way: Cairn stores every file by digest, so none is "regular".
      return c.json({
        files: body.files.map((f) => ({ path: f.path, uploadMode: 'lfs', shouldIgnore: false, oid: null })),
        commitOid: null,
      });
    })
    .post('/:ns/:name/commit/:rev', async (c) => {
      const { artifact, principal } = await requireRepo(
        c,
        type,
        c.req.param('ns'),
        c.req.param('name'),
        'write',
      );
      const branch = parseWith(settableTagSchema, branchOf(c.req.param('rev')), 'branch');
      assertCanMoveTags(principal!, c.var.deps.config.protectedTags, [branch]);
      if (c.req.query('create_pr'))
        throw new ApiError('BAD_REQUEST', 'pull requests are not supported by Cairn');
      const body = parseCommitBody(await c.req.text());
      if (!body.ok) throw new ApiError('BAD_REQUEST', `malformed commit: ${body.problem}`);
      const result = await commitToBranch(
        c.var.deps,
        principal!,
        { artifact, kind: type, branch, ...body.commit },
        new URL(c.req.url).origin,
      );
      if (!result.ok) {
        switch (result.reason) {
          case 'parent-mismatch':
            throw new ApiError(
              'TAG_CONFLICT',
              `${artifact.name}@${branch} is at ${result.head ?? 'no commit'}, not at the parentCommit ${result.parent}`,
              { tag: branch, current: result.head, expected: result.parent },
            );
          case 'path-unknown':
            throw new ApiError('NOT_FOUND', `${result.path} is not in ${artifact.name}@${branch}`, {
              path: result.path,
            });
          case 'policy-unsatisfied':
            throw policyUnsatisfied(artifact.name, result.tag, result.missing);
          case 'blobs-missing':
          case 'blobs-collected':
            throw blobsMissing(
              result.missing,
              'files named by the commit were never uploaded: upload them first',
            );
          case 'size-mismatch':
            throw new ApiError(
              'SIZE_MISMATCH',
              'files were uploaded with other sizes than the commit declares',
              {
                files: result.files,
              },
            );
          case 'kind-conflict':
            throw new ApiError('KIND_CONFLICT', `${artifact.name} is a ${result.kind}`, {
              kind: result.kind,
            });
          case 'duplicate-paths':
            throw new ApiError(
              'BAD_REQUEST',
              `the commit names paths twice: ${result.duplicates.join(', ')}`,
            );
          case 'being-deleted':
            throw new ApiError('BLOB_BUSY', 'garbage collection is deleting this content; retry shortly');
          case 'refs-unknown':
          case 'idempotency-key-reused':
            throw new Error(`a Hub commit cannot fail with ${result.reason}`);
          default:
            unreachable(result);
        }
      }
      const commitOid = result.commitId;
      return c.json({
        success: true,
        commitOid,
        commitUrl: `${repoUrl(c, type, artifact.name)}/commit/${commitOid}`,
        hookOutput: '',
      });
    });
}

/**
 * A card's metadata, checked before a commit adding README.md is uploaded. The answer's shape is
 * what `HfApi._validate_yaml` reads: `warnings` and, with a 400, `errors`, each a `{message}`.
 */
const validateYamlRoute = new Hono<AppEnv>().post('/', async (c) => {
  requireHfScope(c, 'read');
  const body = await readHfJson(c, validateYamlSchema);
  const errors = cardMetadataProblems(body.content).map((message) => ({ message }));
  if (errors.length === 0) return c.json({ errors, warnings: [] });
  return c.json({ error: 'invalid metadata in README.md', errors, warnings: [] }, 400, {
    'X-Error-Message': 'invalid metadata in README.md',
  });
});

export const hfRepoRoutes = new Hono<AppEnv>()
  .route('/validate-yaml', validateYamlRoute)
  .route('/repos', createRoute)
  .route('/models', typedRepoRoutes('model'))
  .route('/datasets', typedRepoRoutes('dataset'));
