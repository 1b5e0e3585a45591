/**
 * The registry's SLSA Provenance v1 statement (https://slsa.dev/provenance/v1) for a version,
 * from what the registry recorded at publish time: the manifest (files, inputs as resolved,
 * code, environment, params) and the version row (who, when). No file bytes are read.
 *
 *   subject                  the manifest (by its digest, the version's identity), then every file
 *   externalParameters       what the publisher asked for: the artifact, its kind and the params
 *   internalParameters       who published it (the registry's record, not the publisher's claim)
 *   resolvedDependencies     each input version by digest, annotated with the ref as written and
 *                            the role (a tag is resolved at publish time: only the registry saw
 *                            what `:latest` meant then), the code commit, lockfiles, the image
 *   runDetails               the registry as builder; the publish time
 */

import { parseRef } from '../../contract/grammar';
import type { Manifest } from '../../contract/manifest';
import { manifestUrl } from '../../contract/urls';
import { type ResourceDescriptor, STATEMENT_TYPE, type Statement } from './statement';

export const SLSA_PREDICATE = 'https://slsa.dev/provenance/v1';
/** What a Cairn publish is, as a SLSA build type: documented in docs/API.md. */
export const CAIRN_BUILD_TYPE = 'https://cairn.dev/provenance/publish/v1';

export interface PublishRecord {
  origin: string;
  /** The manifest's digest (`sha256:…`): the version's identity. */
  digest: string;
  number: number;
  createdAt: number;
  createdBy: string;
}

const sha256 = (digest: string) => ({ sha256: digest.slice('sha256:'.length) });

function dependencies(origin: string, manifest: Manifest): ResourceDescriptor[] {
  const out: ResourceDescriptor[] = manifest.inputs.map((input) => {
    const ref = parseRef(input.ref);
    return {
      name: input.ref,
      ...(ref.ok ? { uri: `${origin}/v1/artifacts/${ref.value.artifact}/versions/${input.digest}` } : {}),
      digest: sha256(input.digest),
      annotations: { kind: 'input', role: input.role, resolvedFrom: input.ref },
    };
  });
  const { code, environment } = manifest;
  if (code) {
    out.push({
      name: 'code',
      ...(code.repo ? { uri: `git+${code.repo}` } : {}),
      ...(code.commit ? { digest: { gitCommit: code.commit } } : {}),
      annotations: {
        kind: 'code',
        ...(code.path !== undefined ? { path: code.path } : {}),
        ...(code.dirty !== undefined ? { dirty: code.dirty } : {}),
      },
    });
  }
  for (const lock of environment?.lockfiles ?? []) {
    out.push({ name: lock.path, digest: sha256(lock.digest), annotations: { kind: 'lockfile' } });
  }
  if (environment?.image) {
    const pinned = /@(sha256:[0-9a-f]{64})$/.exec(environment.image)?.[1];
    out.push({
      name: 'image',
      uri: environment.image,
      ...(pinned ? { digest: sha256(pinned) } : {}),
      annotations: { kind: 'image' },
    });
  }
  return out;
}

export function slsaStatement(record: PublishRecord, manifest: Manifest): Statement {
  const at = new Date(record.createdAt).toISOString();
  return {
    _type: STATEMENT_TYPE,
    subject: [
      {
        name: `${manifest.artifact}@${record.number}`,
        uri: manifestUrl(record.origin, record.digest),
        digest: sha256(record.digest),
      },
      ...manifest.files.map((f) => ({ name: f.path, digest: sha256(f.digest) })),
    ],
    predicateType: SLSA_PREDICATE,
    predicate: {
      buildDefinition: {
        buildType: CAIRN_BUILD_TYPE,
        externalParameters: {
          artifact: manifest.artifact,
          kind: manifest.kind,
          params: manifest.params ?? {},
          ...(manifest.environment?.runtime ? { runtime: manifest.environment.runtime } : {}),
        },
        internalParameters: { publishedBy: record.createdBy },
        resolvedDependencies: dependencies(record.origin, manifest),
      },
      runDetails: {
        builder: { id: `${record.origin}/` },
        metadata: { invocationId: record.digest, startedOn: at, finishedOn: at },
      },
    },
  };
}
