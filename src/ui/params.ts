/**
 * Reading a page's URL: the same zod schemas and error shape as the API (a bad value becomes an
 * ApiError, which the UI renders as an error page), and the same name/selector/ref grammar.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { ArtifactRow, VersionRow } from '../db/schema';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { requireArtifact, requireVersion } from '../http/lookups';
import { artifactParams, selectorSchema, validationError } from '../validation';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error.issues, where);
  return result.data;
}

/** The artifact named by `:ns/:name`, if this principal may see it (else 404, as the API). */
export async function artifactFromPath(c: Context<AppEnv>): Promise<ArtifactRow> {
  const { ns, name } = parseWith(
    artifactParams,
    { ns: c.req.param('ns'), name: c.req.param('name') },
    'path',
  );
  return requireArtifact(c.var.deps, `${ns}/${name}`, c.var.principal);
}

/** The artifact and the version named by `:ns/:name/versions/:sel`. */
export async function versionFromPath(
  c: Context<AppEnv>,
): Promise<{ artifact: ArtifactRow; version: VersionRow }> {
  const artifact = await artifactFromPath(c);
  const sel = c.req.param('sel');
  if (sel === undefined) throw new ApiError('NOT_FOUND', 'no version selector in the path');
  const version = await requireVersion(c.var.deps, artifact, parseWith(selectorSchema, sel, 'path'));
  return { artifact, version };
}
