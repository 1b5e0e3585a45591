/**
 * /lfs/{ns}/{name}: a Git LFS server (`git config lfs.url https://HOST/lfs/ns/name`) over the
 * registry's blob store. The batch API hands out `basic` transfer actions that point at the
 * native blob routes (`PUT`/`GET /v1/blobs/sha256:<oid>`, carrying the caller's own
 * Authorization header), plus a `verify` action here; the locking API lives in D1.
 *
 * This sub-app authenticates itself (the `/v1/*` middleware does not cover it): Basic with the
 * token as password, which is what git's credential helpers send, or Bearer. Every error is in
 * the LFS shape (src/http/lfs.ts), 401s carry `LFS-Authenticate`.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { Scope } from '../db/schema';
import type { AppEnv } from '../env';
import {
  assertAcceptsLfs,
  LfsError,
  lfsBodyLimit,
  lfsJson,
  lfsUnauthorized,
  readLfsBody,
  readLfsQuery,
  renderLfsError,
} from '../http/lfs';
import { checkCredentials } from '../middleware/auth';
import { lfsAccess } from '../services/lfs/access';
import { type Operation, objectProblem, planBatch, verifyObject } from '../services/lfs/batch';
import { createLock, LOCK_ID_RE, listLocks, lockView, unlock, verifyLocks } from '../services/lfs/locks';
import { pathProblem, segmentSchema } from '../validation';

/** git lfs asks for 100 objects per batch; more than this is refused whole (413). */
export const MAX_BATCH_OBJECTS = 1000;
/**
 * How long clients may reuse an action before asking again. The actions carry the caller's own
 * credential, so they stop working when it does; this only bounds how stale a plan may get.
 */
const ACTION_EXPIRES_IN = 3600;

const refSchema = z.object({ name: z.string().max(1024) }).nullish();
const cursorSchema = z.string().regex(LOCK_ID_RE, 'cursor is malformed; pass back next_cursor as received');
const limitSchema = z.coerce.number().int().min(1).max(500).default(100);
const objectSchema = z.object({ oid: z.string().max(1024), size: z.number() });

const batchSchema = z.object({
  operation: z.string(),
  transfers: z.array(z.string()).max(100).optional(),
  ref: refSchema,
  objects: z.array(objectSchema),
  hash_algo: z.string().optional(),
});
const lockPathSchema = z.string().superRefine((path, ctx) => {
  const problem = pathProblem(path);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function repoOf(c: Context<AppEnv>): string {
  return `${c.req.param('ns')}/${c.req.param('name')}`;
}

/** Throws the LFS answer unless the caller may use this repository with `scope`. */
function requireAccess(c: Context<AppEnv>, scope: Scope): void {
  switch (lfsAccess(c.var.principal, c.req.param('ns')!, scope, c.var.deps.config.publicRead)) {
    case 'ok':
      return;
    case 'credentials-needed':
      throw lfsUnauthorized('credentials needed: a Cairn token as the password');
    case 'no-repository':
      throw new LfsError(404, `no LFS repository ${repoOf(c)}, or no access to it with this token`);
    case 'denied':
      throw new LfsError(403, `this token lacks the "${scope}" scope needed here`);
  }
}

export const lfsRoutes = new Hono<AppEnv>();
lfsRoutes.onError(renderLfsError);

lfsRoutes.use('/:ns/:name/*', async function lfsAuthenticate(c, next) {
  const { ns, name } = c.req.param();
  if (!segmentSchema.safeParse(ns).success || !segmentSchema.safeParse(name).success) {
    throw new LfsError(
      404,
      'not an LFS repository URL: use /lfs/{ns}/{name}, each [a-z0-9][a-z0-9._-]{0,63} (lowercase)',
    );
  }
  assertAcceptsLfs(c.req.header('accept'));
  // The API's credential check, failed-auth limiter included (429 when throttled, in LFS shape).
  const result = await checkCredentials(c);
  if (!result.ok) throw lfsUnauthorized(result.message);
  c.set('principal', result.principal);
  await next();
});

lfsRoutes.post('/:ns/:name/objects/batch', lfsBodyLimit, async (c) => {
  // Who may ask at all comes before what was asked (401/404 before 422); upload needs more below.
  requireAccess(c, 'read');
  const request = await readLfsBody(c, batchSchema);
  if (request.operation !== 'upload' && request.operation !== 'download') {
    throw new LfsError(
      422,
      `operation must be "upload" or "download", not ${JSON.stringify(request.operation)}`,
    );
  }
  const operation: Operation = request.operation;
  if (operation === 'upload') requireAccess(c, 'write');
  if (request.transfers && !request.transfers.includes('basic')) {
    throw new LfsError(422, 'this server offers only the "basic" transfer adapter');
  }
  if (request.hash_algo !== undefined && request.hash_algo !== 'sha256') {
    throw new LfsError(409, `this server names objects by sha256, not ${JSON.stringify(request.hash_algo)}`);
  }
  if (request.objects.length > MAX_BATCH_OBJECTS) {
    throw new LfsError(
      413,
      `a batch asks for at most ${MAX_BATCH_OBJECTS} objects, this one for ${request.objects.length}`,
    );
  }

  const origin = new URL(c.req.url).origin;
  const { ns, name } = c.req.param();
  const authorization = c.req.header('authorization');
  const objects = await planBatch(c.var.deps, {
    repo: repoOf(c),
    operation,
    objects: request.objects,
    principal: c.var.principal,
    links: {
      blobHref: (digest) => `${origin}/v1/blobs/${digest}`,
      verifyHref: `${origin}/lfs/${ns}/${name}/objects/verify`,
      header: authorization ? { Authorization: authorization } : {},
      expiresIn: ACTION_EXPIRES_IN,
    },
    maxUploadBytes: c.var.deps.config.maxSingleUploadBytes,
  });
  const res = lfsJson(c, { transfer: 'basic', objects, hash_algo: 'sha256' });
  // The actions carry the caller's credential: never let a cache keep them.
  res.headers.set('Cache-Control', 'no-store');
  return res;
});

lfsRoutes.post('/:ns/:name/objects/verify', lfsBodyLimit, async (c) => {
  requireAccess(c, 'write');
  const object = await readLfsBody(c, objectSchema);
  const problem = objectProblem(object);
  if (problem) throw new LfsError(422, problem);
  const result = await verifyObject(c.var.deps, repoOf(c), object, c.var.principal);
  if (!result.ok && result.reason === 'missing') {
    throw new LfsError(404, `object ${object.oid} was not stored; upload it again`);
  }
  if (!result.ok) {
    throw new LfsError(
      422,
      `object ${object.oid} is stored with ${result.storedSize} bytes, not ${object.size}`,
    );
  }
  return lfsJson(c, { oid: object.oid, size: object.size });
});

lfsRoutes.get('/:ns/:name/locks', async (c) => {
  requireAccess(c, 'read');
  const query = readLfsQuery(
    c,
    z.object({
      path: z.string().max(4096).optional(),
      id: z.string().max(64).optional(),
      cursor: cursorSchema.optional(),
      limit: limitSchema,
      refspec: z.string().max(1024).optional(),
    }),
  );
  const { items, nextCursor } = await listLocks(c.var.deps, repoOf(c), query);
  return lfsJson(c, { locks: items.map(lockView), ...(nextCursor ? { next_cursor: nextCursor } : {}) });
});

lfsRoutes.post('/:ns/:name/locks', lfsBodyLimit, async (c) => {
  requireAccess(c, 'write');
  const { path } = await readLfsBody(c, z.object({ path: lockPathSchema, ref: refSchema }));
  const result = await createLock(c.var.deps, repoOf(c), path, c.var.principal!);
  if (!result.ok) {
    throw new LfsError(409, `${path} is already locked by ${result.lock.owner.name}`, { lock: result.lock });
  }
  return lfsJson(c, { lock: result.lock }, 201);
});

lfsRoutes.post('/:ns/:name/locks/verify', lfsBodyLimit, async (c) => {
  requireAccess(c, 'write');
  const page = await readLfsBody(
    c,
    z.object({ cursor: cursorSchema.optional(), limit: limitSchema, ref: refSchema }),
  );
  const { ours, theirs, nextCursor } = await verifyLocks(c.var.deps, repoOf(c), c.var.principal!, page);
  return lfsJson(c, { ours, theirs, ...(nextCursor ? { next_cursor: nextCursor } : {}) });
});

lfsRoutes.post('/:ns/:name/locks/:id/unlock', lfsBodyLimit, async (c) => {
  requireAccess(c, 'write');
  const { force } = await readLfsBody(c, z.object({ force: z.boolean().default(false), ref: refSchema }));
  const id = c.req.param('id');
  const result = await unlock(c.var.deps, repoOf(c), id, c.var.principal!, force);
  if (result.ok) return lfsJson(c, { lock: result.lock });
  if (result.reason === 'unknown') throw new LfsError(404, `no lock ${id} in ${repoOf(c)}`);
  if (result.reason === 'not-owner') {
    throw new LfsError(
      403,
      `${result.lock.path} is locked by ${result.lock.owner.name}; only that token may release it ` +
        '(or force it with a token that has the "admin" scope)',
    );
  }
  throw new LfsError(403, `forcing the release of another token's lock needs the "admin" scope`);
});

lfsRoutes.all('*', (c) => {
  throw new LfsError(404, `no LFS endpoint ${c.req.method} ${c.req.path}`);
});
