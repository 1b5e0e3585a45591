/**
 * Planning a Git LFS batch answer over the registry's one blob store. An LFS oid is the hex of
 * a `sha256:` digest, so an object is "stored" exactly when the native API would say so: bytes
 * pushed with `git lfs push` are usable in a publish without re-upload, and bytes already
 * uploaded natively get no upload action. Transfers themselves go through the native blob routes
 * (the actions point there), so there is no second upload path to keep correct.
 *
 * "Stored" is as the caller sees it: a token limited to namespaces sees only the blobs its
 * namespaces use or that it uploaded itself (services/blobs.ts), so it gets 404 for others on
 * download, and an upload action for them (the native PUT then makes it prove it has the bytes).
 */

import type { Digest } from '../../contract/grammar';
import { HEX64_RE } from '../../contract/grammar';
import type { Deps } from '../../deps';
import type { Principal } from '../auth';
import { storedSizes } from '../blobs';
import { holdObjects } from './objects';

export type Operation = 'upload' | 'download';

export interface RequestedObject {
  oid: string;
  size: number;
}

export interface Action {
  href: string;
  header?: Record<string, string>;
  expires_in: number;
}

export interface PlannedObject {
  oid: string;
  size: number;
  authenticated?: true;
  actions?: { download: Action } | { upload: Action; verify: Action };
  error?: { code: number; message: string };
}

export interface BatchLinks {
  /** Where the bytes of `digest` are read and written (the native blob route). */
  blobHref(digest: Digest): string;
  verifyHref: string;
  /** Headers every action carries (the caller's own credential, if any). */
  header: Record<string, string>;
  expiresIn: number;
}

/**
 * What is wrong with a requested object, if anything: the oid must be SHA-256 hex, the size a
 * whole number of bytes that a D1 integer and JSON both represent exactly.
 */
export function objectProblem(object: RequestedObject): string | null {
  if (!HEX64_RE.test(object.oid)) return 'oid must be the 64 lowercase hex characters of a SHA-256';
  if (!Number.isSafeInteger(object.size) || object.size < 0) return 'size must be a non-negative integer';
  return null;
}

function objectError(object: RequestedObject, code: number, message: string): PlannedObject {
  return { oid: object.oid, size: object.size, error: { code, message } };
}

export interface BatchRequest {
  /** The LFS repository, `ns/name`. */
  repo: string;
  operation: Operation;
  objects: readonly RequestedObject[];
  principal: Principal | null;
  links: BatchLinks;
  maxUploadBytes: number;
}

/**
 * One answer per requested object, in request order (duplicates answered alike): an action, no
 * action (upload of an object already stored), or a per-object error (404 not stored, 413 too
 * large for one request, 422 invalid oid or size, or a size that contradicts the stored bytes).
 * Upload batches also record the objects already stored as held by the repository.
 */
export async function planBatch(deps: Deps, request: BatchRequest): Promise<PlannedObject[]> {
  const { operation, objects, links, maxUploadBytes } = request;
  const valid = objects.filter((o) => !objectProblem(o));
  const stored = await storedSizes(
    deps,
    valid.map((o) => `sha256:${o.oid}`),
    request.principal,
  );
  const action = (href: string): Action => ({
    href,
    ...(Object.keys(links.header).length > 0 ? { header: links.header } : {}),
    expires_in: links.expiresIn,
  });

  const plan = (object: RequestedObject): PlannedObject => {
    const problem = objectProblem(object);
    if (problem) return objectError(object, 422, problem);

    const digest: Digest = `sha256:${object.oid}`;
    const storedSize = stored.get(digest);
    if (storedSize !== undefined && storedSize !== object.size) {
      return objectError(
        object,
        422,
        `object ${object.oid} is stored with ${storedSize} bytes, not ${object.size}; the pointer is wrong`,
      );
    }
    if (operation === 'download') {
      if (storedSize === undefined) return objectError(object, 404, `object ${object.oid} does not exist`);
      return { ...object, authenticated: true, actions: { download: action(links.blobHref(digest)) } };
    }
    // Upload: an object already stored needs nothing (the spec: omit `actions`).
    if (storedSize !== undefined) return { oid: object.oid, size: object.size };
    if (object.size > maxUploadBytes) {
      return objectError(
        object,
        413,
        `object ${object.oid} is ${object.size} bytes; one upload request takes at most ${maxUploadBytes} ` +
          '(MAX_SINGLE_UPLOAD_BYTES). Upload it with the native multipart API (POST /v1/uploads, or ' +
          '`cairn push`), then `git lfs push` finds it stored and skips it.',
      );
    }
    return {
      ...object,
      authenticated: true,
      actions: { upload: action(links.blobHref(digest)), verify: action(links.verifyHref) },
    };
  };
  const planned = objects.map(plan);
  if (operation !== 'upload') return planned;
  // Objects answered "stored" are held by the repository from now on, so GC keeps them. The hold
  // is fenced (objects.ts): a blob GC marked since the read above is not held, and is answered as
  // not stored (an upload action) instead: never "stored" for bytes about to be deleted.
  const kept = planned.filter((o) => !o.actions && !o.error).map((o): Digest => `sha256:${o.oid}`);
  const held = await holdObjects(deps, request.repo, kept);
  for (const digest of kept) if (!held.has(digest)) stored.delete(digest);
  return held.size === new Set(kept).size ? planned : objects.map(plan);
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'size-mismatch'; storedSize: number };

/** The `verify` action: the object is stored (as the caller sees it), with the size it uploaded. */
export async function verifyObject(
  deps: Deps,
  repo: string,
  object: RequestedObject,
  principal: Principal | null,
): Promise<VerifyResult> {
  const digest: Digest = `sha256:${object.oid}`;
  const storedSize = (await storedSizes(deps, [digest], principal)).get(digest);
  if (storedSize === undefined) return { ok: false, reason: 'missing' };
  if (storedSize !== object.size) return { ok: false, reason: 'size-mismatch', storedSize };
  // Fenced like planBatch: a blob GC marked since the read is not held, and so not verified.
  if (!(await holdObjects(deps, repo, [digest])).has(digest)) return { ok: false, reason: 'missing' };
  return { ok: true };
}
