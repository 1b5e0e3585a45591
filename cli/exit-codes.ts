/**
 * Exit codes of `cairn` (documented in the README and in `cairn --help`): scripts branch on
 * them, so they never change meaning.
 */
export const EXIT = {
  OK: 0,
  /** Anything not covered below (a server error, a refused publish, …). */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing argument, unreadable config. */
  USAGE: 2,
  /** 401/403: no token, a wrong or expired token, or too little scope. */
  AUTH: 3,
  /** An artifact, version, tag, blob or token that does not exist. */
  NOT_FOUND: 4,
  /** A compare-and-swap lost (the tag moved meanwhile) or another conflict (409). */
  CONFLICT: 5,
  /** Bytes that do not hash to their digest (pull, verify) or a size that does not match. */
  VERIFY_FAILED: 6,
  /** The registry could not be reached, or a transfer was interrupted (rerun to resume). */
  NETWORK: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI explains itself: a message, an optional hint line, and its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string, hint?: string) => new CliError(EXIT.USAGE, message, hint);
