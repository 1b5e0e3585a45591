/**
 * `/ui/artifacts/{ns}/{name}/versions/{sel}/files/{path…}`: a version's file for the browser,
 * authorised by the session cookie (API file URLs need an Authorization header, which a link
 * cannot send). Always an attachment, so a file's bytes are never rendered as a page of this
 * site; cached only privately.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { blobResponse } from '../http/blob-response';
import { fileBlob } from '../services/versions';
import { pathSchema } from '../validation';
import { parseWith, versionFromPath } from './params';

const FILE_PATH_RE = /^\/ui\/artifacts\/[^/]+\/[^/]+\/versions\/[^/]+\/files\/(.*)$/;

/** The file path after `/files/`, percent-decoded (a `%2F` becomes a `/`, as in the API's route). */
function decodedFilePath(requestPath: string): string {
  try {
    return decodeURIComponent(FILE_PATH_RE.exec(requestPath)?.[1] ?? '');
  } catch {
    throw new ApiError('PATH_INVALID', 'the file path is not valid percent-encoding');
  }
}

export async function downloadFile(c: Context<AppEnv>) {
  const path = parseWith(pathSchema, decodedFilePath(c.req.path), 'path');
  const { artifact, version } = await versionFromPath(c);
  const blob = await fileBlob(c.var.deps, version.id, path);
  if (!blob)
    throw new ApiError('NOT_FOUND', `${artifact.name}@${version.number} has no file ${path}`, { path });
  const response = await blobResponse(c, blob);
  const base = path.slice(path.lastIndexOf('/') + 1);
  response.headers.set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(base)}`);
  response.headers.set('Cache-Control', 'private, no-cache');
  return response;
}
