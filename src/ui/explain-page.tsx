/**
 * `/ui/artifacts/{ns}/{name}/tags/{tag}/explain`: the tag's last move (who, when, why) and the
 * diff between where it pointed before and where it points now, the same answer as the API's
 * explain route.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import type { Digest } from '../lib/digest';
import { findVersion } from '../services/artifacts';
import { diffVersions } from '../services/diff';
import { lastMove } from '../services/tags';
import { tagSchema } from '../validation';
import { Facts, Time } from './components';
import { DiffView } from './diff-view';
import { page } from './layout';
import { artifactFromPath, parseWith } from './params';
import { artifactUrl, listUrl } from './urls';

export async function explainPage(c: Context<AppEnv>) {
  const artifact = await artifactFromPath(c);
  const tag = parseWith(tagSchema, c.req.param('tag'), 'path');
  const moved = await lastMove(c.var.db, artifact.id, tag);
  if (!moved) throw new ApiError('TAG_UNKNOWN', `no tag ${artifact.name}:${tag}`, { tag });
  const { current, event } = moved;
  const byDigest = (digest: string) =>
    findVersion(c.var.db, artifact.id, { kind: 'digest', digest: digest as Digest });
  const [now, before] = await Promise.all([
    byDigest(current.digest),
    event?.fromDigest ? byDigest(event.fromDigest) : undefined,
  ]);
  if (!now) throw new ApiError('VERSION_UNKNOWN', `${artifact.name}:${tag} points to a missing version`);
  const diff = await diffVersions(c.var.db, c.env.BLOBS, before ? { artifact, version: before } : null, {
    artifact,
    version: now,
  });
  const at = new Date(event?.at ?? current.updatedAt).toISOString();
  const protectedTag = c.var.config.protectedTags.includes(tag);
  return page(
    c,
    `${artifact.name}:${tag} explained`,
    <>
      <p class="crumbs">
        <a href={listUrl()}>Artifacts</a> / <a href={artifactUrl(artifact.name)}>{artifact.name}</a>
      </p>
      <h1>
        Why <span class={protectedTag ? 'chip protected' : 'chip'}>{tag}</span> moved
      </h1>
      <Facts
        items={[
          ['moved', <Time iso={at} />],
          ['by', event?.by ?? current.updatedBy],
          ['reason', event?.reason ?? '—'],
        ]}
      />
      {diff.from ? null : (
        <p class="note">This was the tag's first move: everything the version has shows as changed.</p>
      )}
      <DiffView diff={diff} />
    </>,
  );
}
