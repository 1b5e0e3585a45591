/**
 * diff(from, to): "production got worse — was it the code, the data or the environment?"
 * Compares two versions' manifests pillar by pillar (code, data, environment, params), plus the
 * output files and metric deltas, and names the pillars that changed, in that order.
 */

import type { CodeDiff, VersionDiff, VersionRefView } from '../../contract/diff';
import type { Deps } from '../../deps';
import type { Resolved } from '../artifacts';
import type { ManifestV1 } from '../manifest';
import { metricsOf } from '../versions';
import { diffData } from './data';
import { diffEnvironment } from './environment';
import { diffFiles } from './files';
import { readSplitManifest } from './manifest-text';
import { dataSummary, describeTables } from './tables';
import { diffParams, metricDeltas } from './values';

export const PILLARS = ['code', 'data', 'environment', 'params'] as const;
export type Pillar = (typeof PILLARS)[number];

const CODE_FIELDS = ['repo', 'commit', 'path', 'dirty'] as const;

export type { VersionDiff } from '../../contract/diff';

export function diffCode(from: ManifestV1['code'], to: ManifestV1['code']): CodeDiff {
  const fields = CODE_FIELDS.filter((f) => (from?.[f] ?? null) !== (to?.[f] ?? null));
  return { changed: fields.length > 0, fields, from: from ?? null, to: to ?? null };
}

/** What any version looks like when compared with "nothing" (a tag's first move). */
const EMPTY: { manifest: Partial<ManifestV1> & Pick<ManifestV1, 'inputs'>; files: string } = {
  manifest: { inputs: [] },
  files: '',
};

export async function diffVersions(deps: Deps, from: Resolved | null, to: Resolved): Promise<VersionDiff> {
  const [{ manifest: ma, files: filesA }, { manifest: mb, files: filesB }, metricsA, metricsB] =
    await Promise.all([
      from ? readSplitManifest(deps, from.version.digest) : EMPTY,
      readSplitManifest(deps, to.version.digest),
      from ? metricsOf(deps, from.version.id) : null,
      metricsOf(deps, to.version.id),
    ]);
  const [data, environment] = await Promise.all([
    diffData(deps, ma.inputs, mb.inputs),
    diffEnvironment(deps.blobs, ma.environment, mb.environment),
  ]);
  const files = diffFiles(filesA, filesB);
  await describeTables(deps, files);
  const summary = dataSummary(data);
  if (summary) data.summary = summary;
  const code = diffCode(ma.code, mb.code);
  const params = diffParams(ma.params, mb.params);
  const flags: Record<Pillar, boolean> = {
    code: code.changed,
    data: data.changed,
    environment: environment.changed,
    params: params.changed,
  };
  const view = (r: Resolved): VersionRefView => ({
    artifact: r.artifact.name,
    version: r.version.number,
    digest: r.version.digest,
  });
  return {
    from: from ? view(from) : null,
    to: view(to),
    changed: PILLARS.filter((p) => flags[p]),
    code,
    data,
    environment,
    params,
    files,
    metrics: metricDeltas(metricsA?.merged ?? {}, metricsB.merged),
  };
}
