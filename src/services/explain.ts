/**
 * Explain a tag: its last move (who, when, why) and the diff between where it pointed before and
 * where it points now. One answer for the API's explain route and the web UI's explain page.
 */
import type { Digest } from '../contract/grammar';
import type { Db } from '../db/client';
import type { ArtifactRow } from '../db/schema';
import { ApiError } from '../errors';
import { findVersion } from './artifacts';
import { diffVersions, type VersionDiff } from './diff';
import { lastMove } from './tags';

export interface TagMove {
  from: string | null;
  to: string;
  /** ISO-8601. */
  at: string;
  by: string;
  reason: string | null;
}

export async function explainTag(
  db: Db,
  bucket: R2Bucket,
  artifact: ArtifactRow,
  tag: string,
): Promise<{ diff: VersionDiff; move: TagMove }> {
  const moved = await lastMove(db, artifact.id, tag);
  if (!moved) throw new ApiError('TAG_UNKNOWN', `no tag ${artifact.name}:${tag}`, { tag });
  const { current, event } = moved;
  const byDigest = (digest: string) =>
    findVersion(db, artifact.id, { kind: 'digest', digest: digest as Digest });
  const [now, before] = await Promise.all([
    byDigest(current.digest),
    event?.fromDigest ? byDigest(event.fromDigest) : undefined,
  ]);
  if (!now) throw new ApiError('VERSION_UNKNOWN', `${artifact.name}:${tag} points to a missing version`);
  const diff = await diffVersions(db, bucket, before ? { artifact, version: before } : null, {
    artifact,
    version: now,
  });
  return {
    diff,
    move: {
      from: event?.fromDigest ?? null,
      to: current.digest,
      at: new Date(event?.at ?? current.updatedAt).toISOString(),
      by: event?.by ?? current.updatedBy,
      reason: event?.reason ?? null,
    },
  };
}
