/**
 * OpenLineage RunEvents (spec 2-0-2, https://openlineage.io/spec/2-0-2/OpenLineage.json) for what
 * Cairn records, built as plain values (no I/O) so the outbox can store them in the same batch as
 * the change. Naming follows the OpenLineage naming conventions:
 *   - a dataset is an artifact: namespace `cairn://<host>` (the datasource, like
 *     `postgres://host:port`), name `ns/name`; a version is the dataset's `version` facet
 *     (`datasetVersion` = the manifest digest), so inputs are pinned by digest;
 *   - the job is the code: namespace = the repository as the publisher recorded it, name = the
 *     path in it (the output's `ns/name` when no path was given); without code, the registry's
 *     namespace and the output's name;
 *   - a publish is a COMPLETE run of that job: inputs = the input versions, output = the new one;
 *   - a tag move is a COMPLETE run of the job `ns/name:tag` (type TAG_MOVE): its input is the
 *     version the tag now points to, it has no output (a tag produces no data), and the move
 *     (from, to, by, reason) is its `cairn_tagMove` run facet.
 * Custom facets are prefixed `cairn_` and described by GET /v1/openlineage/facets.json.
 */
import type { ManifestV1 } from '../manifest';

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const FACET_SCHEMAS = {
  sourceCodeLocation:
    'https://openlineage.io/spec/facets/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
  version:
    'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet',
  executionParameters:
    'https://openlineage.io/spec/facets/1-0-0/ExecutionParametersRunFacet.json#/$defs/ExecutionParametersRunFacet',
} as const;

/** Where events come from: the registry's dataset namespace, producer URI and custom-facet schema. */
export interface LineageSource {
  /** `cairn://<host>` (or OPENLINEAGE_NAMESPACE). */
  namespace: string;
  /** The registry's origin (`https://registry.example`): the events' `producer`. */
  origin: string;
}

type Json = Record<string, unknown>;

export interface RunEvent {
  eventType: 'COMPLETE';
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Json> };
  job: { namespace: string; name: string; facets: Record<string, Json> };
  inputs: Dataset[];
  outputs: Dataset[];
}

export interface Dataset {
  namespace: string;
  name: string;
  facets: Record<string, Json>;
  inputFacets?: Record<string, Json>;
}

export function sourceOf(origin: string, namespace: string | undefined): LineageSource {
  return { namespace: namespace ?? `cairn://${new URL(origin).host}`, origin };
}

function facet(source: LineageSource, schemaURL: string, fields: Json): Json {
  return { _producer: producerOf(source), _schemaURL: schemaURL, ...fields };
}

function producerOf(source: LineageSource): string {
  return `${source.origin}/v1/openlineage`;
}

function cairnFacet(source: LineageSource, name: string, fields: Json): Json {
  return facet(source, `${source.origin}/v1/openlineage/facets.json#/$defs/${name}`, fields);
}

/** `git@host:org/repo.git` or `https://host/org/repo(.git)` → `https://host/org/repo`, else null. */
export function repoWebUrl(repo: string): string | null {
  const scp = /^[\w.-]+@([\w.-]+):(.+?)(?:\.git)?\/?$/.exec(repo);
  const candidate = scp ? `https://${scp[1]}/${scp[2]}` : repo.replace(/\.git\/?$/, '');
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return null;
  }
}

function versionFacets(source: LineageSource, digest: string): Record<string, Json> {
  return { version: facet(source, FACET_SCHEMAS.version, { datasetVersion: digest }) };
}

function jobType(source: LineageSource, type: 'PUBLISH' | 'TAG_MOVE'): Json {
  return facet(source, FACET_SCHEMAS.jobType, {
    processingType: 'BATCH',
    integration: 'CAIRN',
    jobType: type,
  });
}

function codeJob(source: LineageSource, artifact: string, code: ManifestV1['code']): RunEvent['job'] {
  const facets: Record<string, Json> = { jobType: jobType(source, 'PUBLISH') };
  if (!code?.repo) return { namespace: source.namespace, name: artifact, facets };
  const web = repoWebUrl(code.repo);
  if (web) {
    // GitHub/GitLab/Gitea all serve `<repo>/blob/<commit>/<path>`; the facet's `url` is a URI.
    const at = code.commit ?? 'HEAD';
    facets.sourceCodeLocation = facet(source, FACET_SCHEMAS.sourceCodeLocation, {
      type: 'git',
      url: code.path ? `${web}/blob/${at}/${code.path}` : web,
      repoUrl: code.repo,
      ...(code.path ? { path: code.path } : {}),
      ...(code.commit ? { version: code.commit } : {}),
    });
  }
  return { namespace: code.repo, name: code.path ?? artifact, facets };
}

export function namespaceOf(artifact: string): string {
  return artifact.slice(0, artifact.indexOf('/'));
}

export interface PublishEventInput {
  manifest: ManifestV1;
  digest: string;
  at: number;
  by: string;
}

/** The RunEvent of a publish. The output's version number is set by the outbox statement (SQL). */
export function publishEvent(source: LineageSource, input: PublishEventInput): RunEvent {
  const { manifest } = input;
  const runFacets: Record<string, Json> = {
    cairn_publish: cairnFacet(source, 'CairnPublishRunFacet', { publishedBy: input.by }),
  };
  if (manifest.params) {
    runFacets.executionParameters = facet(source, FACET_SCHEMAS.executionParameters, {
      parameters: Object.entries(manifest.params).map(([key, value]) => ({
        key,
        value: typeof value === 'string' ? value : JSON.stringify(value),
      })),
    });
    // The standard facet's values are strings; this one keeps the JSON types.
    runFacets.cairn_params = cairnFacet(source, 'CairnParamsRunFacet', { params: manifest.params });
  }
  if (manifest.code) runFacets.cairn_code = cairnFacet(source, 'CairnCodeRunFacet', { ...manifest.code });
  if (manifest.environment) {
    runFacets.cairn_environment = cairnFacet(source, 'CairnEnvironmentRunFacet', {
      lockfiles: manifest.environment.lockfiles ?? [],
      ...(manifest.environment.image ? { image: manifest.environment.image } : {}),
      ...(manifest.environment.runtime ? { runtime: manifest.environment.runtime } : {}),
    });
  }
  return {
    eventType: 'COMPLETE',
    eventTime: new Date(input.at).toISOString(),
    producer: producerOf(source),
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: crypto.randomUUID(), facets: runFacets },
    job: codeJob(source, manifest.artifact, manifest.code),
    inputs: manifest.inputs.map((i) => ({
      namespace: source.namespace,
      name: i.ref.replace(/[:@].*$/, ''),
      facets: versionFacets(source, i.digest),
      inputFacets: {
        cairn_input: cairnFacet(source, 'CairnInputDatasetFacet', { role: i.role, ref: i.ref }),
      },
    })),
    outputs: [
      {
        namespace: source.namespace,
        name: manifest.artifact,
        facets: {
          ...versionFacets(source, input.digest),
          cairn_version: cairnFacet(source, 'CairnVersionDatasetFacet', { kind: manifest.kind, number: 0 }),
        },
      },
    ],
  };
}

/** Every namespace a publish event names: the output's, then its inputs'. */
export function publishNamespaces(manifest: ManifestV1): string[] {
  return [...new Set([manifest.artifact, ...manifest.inputs.map((i) => i.ref)].map(namespaceOf))];
}

export interface TagEventInput {
  artifact: string;
  tag: string;
  /** The version the tag points to after the move; null when the tag was deleted. */
  to: string | null;
  at: number;
  by: string;
  reason: string | null;
}

/** The RunEvent of a tag move. `from` is set by the outbox statement from the history row (SQL). */
export function tagEvent(source: LineageSource, move: TagEventInput): RunEvent {
  return {
    eventType: 'COMPLETE',
    eventTime: new Date(move.at).toISOString(),
    producer: producerOf(source),
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: {
      runId: crypto.randomUUID(),
      facets: {
        cairn_tagMove: cairnFacet(source, 'CairnTagMoveRunFacet', {
          artifact: move.artifact,
          tag: move.tag,
          from: null,
          to: move.to,
          by: move.by,
          reason: move.reason,
        }),
      },
    },
    job: {
      namespace: source.namespace,
      name: `${move.artifact}:${move.tag}`,
      facets: { jobType: jobType(source, 'TAG_MOVE') },
    },
    inputs: move.to
      ? [{ namespace: source.namespace, name: move.artifact, facets: versionFacets(source, move.to) }]
      : [],
    outputs: [],
  };
}
