/**
 * Planning a Git LFS batch answer over the registry's one blob store. An LFS oid is the hex of
 * a `sha256:` digest, so an object is "stored" exactly when the native API would say so: bytes
 * pushed with `git lfs push` are usable in a publish without re-upload, and bytes already
 * uploaded natively get no upload action. Transfers themselves go through the native blob routes
 * (the actions point there), so there is no second upload path to keep correct.
 */
import type { Db } from '../../db/client';
import type { Digest } from '../../lib/digest';
import { HEX64_RE } from '../../lib/digest';
import { storedSizes } from '../blobs';

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

/**
 * One answer per requested object, in request order (duplicates answered alike): an action, no
 * action (upload of an object already stored), or a per-object error (404 not stored, 413 too
 * large for one request, 422 invalid oid or size, or a size that contradicts the stored bytes).
 */
export async function planBatch(
  db: Db,
  operation: Operation,
  objects: readonly RequestedObject[],
  links: BatchLinks,
  maxUploadBytes: number,
): Promise<PlannedObject[]> {
  const valid = objects.filter((o) => !objectProblem(o));
  const stored = await storedSizes(
    db,
    valid.map((o) => `sha256:${o.oid}`),
  );
  const action = (href: string): Action => ({
    href,
    ...(Object.keys(links.header).length > 0 ? { header: links.header } : {}),
    expires_in: links.expiresIn,
  });

  return objects.map((object): PlannedObject => {
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
  });
}

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'size-mismatch'; storedSize: number };

/** The `verify` action: the object is stored, with the size the client uploaded. */
export async function verifyObject(db: Db, object: RequestedObject): Promise<VerifyResult> {
  const digest: Digest = `sha256:${object.oid}`;
  const storedSize = (await storedSizes(db, [digest])).get(digest);
  if (storedSize === undefined) return { ok: false, reason: 'missing' };
  if (storedSize !== object.size) return { ok: false, reason: 'size-mismatch', storedSize };
  return { ok: true };
}
