/**
 * Explain a tag: its last move (who, when, why) and the diff between where it pointed before and
 * where it points now. One answer for the API's explain route and the web UI's explain page.
 */

import type { Digest } from '../contract/grammar';
import type { ArtifactRow } from '../db/schema';
import type { Deps } from '../deps';
import { findVersion } from './artifacts';
import { diffVersions, type VersionDiff } from './diff';
import type { Failure, Result } from './result';
import { lastMove } from './tags';

export interface TagMove {
  from: string | null;
  to: string;
  /** ISO-8601. */
  at: string;
  by: string;
  reason: string | null;
  /** Attestations a policy-gated move relied on. */
  attestations?: string[];
}

export async function explainTag(
  deps: Deps,
  artifact: ArtifactRow,
  tag: string,
): Promise<Result<{ diff: VersionDiff; move: TagMove }, Failure<'tag-unknown', { tag: string }>>> {
  const moved = await lastMove(deps, artifact.id, tag);
  if (!moved) return { ok: false, reason: 'tag-unknown', tag };
  const { current, event } = moved;
  const byDigest = (digest: string) =>
    findVersion(deps, artifact.id, { kind: 'digest', digest: digest as Digest });
  const [now, before] = await Promise.all([
    byDigest(current.digest),
    event?.fromDigest ? byDigest(event.fromDigest) : undefined,
  ]);
  // The tags table references versions: a tag cannot outlive its version.
  if (!now) throw new Error(`${artifact.name}:${tag} points to a missing version`);
  const diff = await diffVersions(deps, before ? { artifact, version: before } : null, {
    artifact,
    version: now,
  });
  return {
    ok: true,
    diff,
    move: {
      from: event?.fromDigest ?? null,
      to: current.digest,
      at: new Date(event?.at ?? current.updatedAt).toISOString(),
      by: event?.by ?? current.updatedBy,
      reason: event?.reason ?? null,
      ...(event?.attestations ? { attestations: event.attestations } : {}),
    },
  };
}
