/**
 * Does a signed statement speak about this version, exactly? Checked on arrival, after the
 * signature, against what the registry recorded (never against the client's word):
 *   - a model-signing statement must list exactly the version's files, in model-transparency's
 *     order, and its subject must be their root digest (so an added, dropped, renamed or
 *     reordered file is refused);
 *   - any other statement (SLSA or a custom predicate) must name the version's manifest digest
 *     among its subjects, and every other subject must be one of the version's files, by path
 *     and digest.
 */
import type { ManifestFile } from '../../contract/manifest';
import type { Failure, Result } from '../result';
import { MODEL_SIGNING_PREDICATE, type ModelSigningResource, modelSigningStatement } from './model-signing';
import { STATEMENT_TYPE } from './statement';

export interface VersionSubject {
  /** `sha256:…` of the manifest. */
  digest: string;
  files: readonly ManifestFile[];
}

export type SubjectProblem =
  | Failure<'not-a-statement', { message: string }>
  | Failure<'subject-mismatch', { message: string }>;

interface LooseStatement {
  _type?: unknown;
  subject?: unknown;
  predicateType?: unknown;
  predicate?: unknown;
}

type Descriptor = { name?: unknown; digest?: { sha256?: unknown } };

const mismatch = (message: string): SubjectProblem => ({ ok: false, reason: 'subject-mismatch', message });

function sameResources(got: unknown, want: readonly ModelSigningResource[]): string | null {
  if (!Array.isArray(got)) return 'predicate.resources is not a list';
  if (got.length !== want.length)
    return `resources lists ${got.length} file(s); the version has ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as Partial<ModelSigningResource> | undefined;
    const w = want[i]!;
    if (g?.name !== w.name || g?.digest !== w.digest || g?.algorithm !== w.algorithm) {
      return `resource ${i} is ${String(g?.name)} ${String(g?.digest)}; the version has ${w.name} ${w.digest}`;
    }
  }
  return null;
}

export async function checkSubject(
  payload: Uint8Array,
  version: VersionSubject,
): Promise<Result<{ predicateType: string }, SubjectProblem>> {
  let statement: LooseStatement;
  try {
    statement = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(payload),
    ) as LooseStatement;
  } catch {
    return { ok: false, reason: 'not-a-statement', message: 'the payload is not JSON' };
  }
  if (statement === null || typeof statement !== 'object' || statement._type !== STATEMENT_TYPE) {
    return { ok: false, reason: 'not-a-statement', message: `the payload is not an ${STATEMENT_TYPE}` };
  }
  const { predicateType, subject } = statement;
  if (typeof predicateType !== 'string' || predicateType.length === 0 || predicateType.length > 512) {
    return { ok: false, reason: 'not-a-statement', message: 'predicateType is missing' };
  }
  if (!Array.isArray(subject) || subject.length === 0) return mismatch('the statement has no subject');
  const subjects = subject as Descriptor[];

  if (predicateType === MODEL_SIGNING_PREDICATE) {
    const want = await modelSigningStatement('', version.files);
    const problem = sameResources(
      (statement.predicate as { resources?: unknown } | null)?.resources,
      want.predicate.resources,
    );
    if (problem) return mismatch(problem);
    if (subjects.length !== 1 || subjects[0]?.digest?.sha256 !== want.subject[0]?.digest?.sha256) {
      return mismatch('the subject is not the root digest of the version files');
    }
    return { ok: true, predicateType };
  }

  const manifestHex = version.digest.slice('sha256:'.length);
  const files = new Map(version.files.map((f) => [f.path, f.digest.slice('sha256:'.length)]));
  let namesManifest = false;
  for (const s of subjects) {
    const hex = s?.digest?.sha256;
    if (hex === manifestHex) {
      namesManifest = true;
      continue;
    }
    if (typeof s?.name !== 'string' || files.get(s.name) !== hex) {
      return mismatch(`subject ${String(s?.name)} (${String(hex)}) is not a file of this version`);
    }
  }
  if (!namesManifest) return mismatch(`no subject names this version's manifest ${version.digest}`);
  return { ok: true, predicateType };
}
