/**
 * The data pillar: a version's inputs, matched by role (then by artifact within a role), and for
 * each input that changed, which of its files were added, removed or modified, plus the same one
 * level further up when that input has inputs of its own ("the model changed because the
 * features changed because the raw data changed").
 */

import { sql } from 'drizzle-orm';
import type { DataDiff, InputDiff, InputSide } from '../../contract/diff';
import type { Deps } from '../../deps';
import type { ManifestInput } from '../manifest';
import { diffFiles } from './files';
import { readSplitManifest } from './manifest-text';
import { describeTables } from './tables';

/** Levels of inputs compared file by file: the version's own inputs, and theirs. */
export const DATA_LEVELS = 2;

export type { DataDiff, InputSide } from '../../contract/diff';

type VersionInfo = { artifact: string; version: number };

async function versionInfo(deps: Deps, digests: readonly string[]): Promise<Map<string, VersionInfo>> {
  const { db } = deps;
  if (digests.length === 0) return new Map();
  const rows = await db.all<{ digest: string; artifact: string; version: number }>(sql`
    SELECT v.digest, a.name AS artifact, v.number AS version
    FROM versions v JOIN artifacts a ON a.id = v.artifact_id
    WHERE v.digest IN (SELECT value FROM json_each(${JSON.stringify([...new Set(digests)])}))`);
  return new Map(rows.map((r) => [r.digest, { artifact: r.artifact, version: r.version }]));
}

/** Pairs inputs: same role and artifact first, then what is left of each role in order. */
export function matchInputs(
  from: readonly ManifestInput[],
  to: readonly ManifestInput[],
  artifactOf: (digest: string) => string | null,
): [ManifestInput | null, ManifestInput | null][] {
  const pairs: [ManifestInput | null, ManifestInput | null][] = [];
  const roles = [...new Set([...from.map((i) => i.role), ...to.map((i) => i.role)])].sort();
  for (const role of roles) {
    const left = from.filter((i) => i.role === role);
    const right = to.filter((i) => i.role === role);
    for (const a of [...left]) {
      const k = right.findIndex(
        (b) => artifactOf(b.digest) !== null && artifactOf(b.digest) === artifactOf(a.digest),
      );
      if (k >= 0) {
        pairs.push([a, right[k]!]);
        right.splice(k, 1);
        left.splice(left.indexOf(a), 1);
      }
    }
    const n = Math.max(left.length, right.length);
    for (let k = 0; k < n; k++) pairs.push([left[k] ?? null, right[k] ?? null]);
  }
  return pairs;
}

export async function diffData(
  deps: Deps,
  from: readonly ManifestInput[],
  to: readonly ManifestInput[],
  level = 1,
): Promise<DataDiff> {
  const info = await versionInfo(
    deps,
    [...from, ...to].map((i) => i.digest),
  );
  const side = (i: ManifestInput | null): InputSide | null =>
    i && {
      ref: i.ref,
      digest: i.digest,
      artifact: info.get(i.digest)?.artifact ?? null,
      version: info.get(i.digest)?.version ?? null,
    };
  const pairs = matchInputs(from, to, (d) => info.get(d)?.artifact ?? null);
  const inputs = await Promise.all(
    pairs.map(async ([a, b]): Promise<InputDiff> => {
      const status = !a ? 'added' : !b ? 'removed' : a.digest === b.digest ? 'unchanged' : 'changed';
      const diff: InputDiff = {
        role: (a ?? b)!.role,
        artifact: side(b)?.artifact ?? side(a)?.artifact ?? null,
        status,
        from: side(a),
        to: side(b),
      };
      if (status !== 'changed') return diff;
      const [{ manifest: ma, files: filesA }, { manifest: mb, files: filesB }] = await Promise.all([
        readSplitManifest(deps, a!.digest),
        readSplitManifest(deps, b!.digest),
      ]);
      diff.files = diffFiles(filesA, filesB);
      await describeTables(deps, diff.files);
      if (level < DATA_LEVELS && (ma.inputs.length > 0 || mb.inputs.length > 0)) {
        diff.upstream = await diffData(deps, ma.inputs, mb.inputs, level + 1);
      }
      return diff;
    }),
  );
  return { changed: inputs.some((i) => i.status !== 'unchanged'), inputs };
}
