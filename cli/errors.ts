/**
 * From any failure to what the user reads and the exit code scripts see: API errors by status
 * and code, with a hint for the usual causes (unreachable server, a token problem, an unknown
 * ref, an interrupted transfer and how to resume it).
 */
import { CairnError } from '../src/client/index';
import type { Settings } from './config';
import { CliError, EXIT, type ExitCode } from './exit-codes';

export interface Explained {
  exitCode: ExitCode;
  message: string;
  hint?: string;
}

function fromApi(err: CairnError, settings: Settings | null): Explained {
  const where = settings?.url ?? 'the registry';
  const rid = err.requestId ? ` (request id ${err.requestId})` : '';
  const message = `${err.message} [${err.code}]${rid}`;
  if (err.code === 'ABORTED') {
    return {
      exitCode: EXIT.NETWORK,
      message: 'interrupted',
      hint: 'run the same command again to resume: stored blobs are skipped and an unfinished multipart upload continues from its last part',
    };
  }
  if (err.status === 0) {
    return {
      exitCode: EXIT.NETWORK,
      message: err.message,
      hint: `is the registry running at ${where}? (set CAIRN_URL or --url) Rerunning resumes any transfer.`,
    };
  }
  if (err.status === 401) {
    const source = settings?.tokenSource ?? 'none';
    return {
      exitCode: EXIT.AUTH,
      message,
      hint:
        source === 'none'
          ? 'no token: set CAIRN_TOKEN or run `cairn login`'
          : `the token from ${source} was refused: check it, or run \`cairn login\` with a valid one`,
    };
  }
  if (err.code === 'POLICY_UNSATISFIED') {
    return {
      exitCode: EXIT.AUTH,
      message,
      hint: 'the tag needs signed attestations first: `cairn sign <ref> --key key.pem`; `cairn policy show <ns/name>` says which',
    };
  }
  if (['SIGNATURE_INVALID', 'SUBJECT_MISMATCH', 'KEY_REVOKED'].includes(err.code)) {
    return { exitCode: EXIT.VERIFY_FAILED, message };
  }
  if (err.status === 403) {
    const scope =
      typeof err.details.required === 'string'
        ? ` a token with the "${err.details.required}" scope`
        : ' a token with more scope';
    return { exitCode: EXIT.AUTH, message, hint: `this needs${scope} (or one allowed in this namespace)` };
  }
  if (err.code === 'TAG_UNKNOWN' && String(err.details.ref ?? '').endsWith(':latest')) {
    return {
      exitCode: EXIT.NOT_FOUND,
      message,
      hint: 'a bare ns/name means ns/name:latest, which only `cairn push --tag latest` moves; name a version (ns/name@<n>: `cairn log ns/name` lists them)',
    };
  }
  if (err.status === 404 || err.code === 'REF_UNKNOWN') {
    return {
      exitCode: EXIT.NOT_FOUND,
      message,
      hint: 'check the name, tag or version: `cairn log <ns/name>` lists versions',
    };
  }
  if (err.status === 409) return { exitCode: EXIT.CONFLICT, message };
  if (err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH') {
    return {
      exitCode: EXIT.VERIFY_FAILED,
      message,
      hint: 'a file changed while it was being pushed, or the bytes were altered in transit: push again',
    };
  }
  return { exitCode: EXIT.ERROR, message };
}

export function explain(err: unknown, settings: Settings | null): Explained {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message, hint: err.hint };
  if (err instanceof CairnError) return fromApi(err, settings);
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || e?.code === 'EACCES' || e?.code === 'ENOENT' || e?.code === 'EISDIR') {
    return { exitCode: EXIT.ERROR, message: e.message };
  }
  return { exitCode: EXIT.ERROR, message: `unexpected error: ${(e as Error)?.stack ?? String(err)}` };
}
