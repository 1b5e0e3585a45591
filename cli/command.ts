/**
 * What every command module exports, and the one place command lines are parsed
 * (`node:util` parseArgs, strict: unknown options are usage errors, exit 2).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CairnClient } from '../src/client/index';
import { usageError } from './exit-codes';
import type { Output } from './output';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Context {
  out: Output;
  /** The client for the configured registry (reads env and config on first use). */
  client(): Promise<CairnClient>;
  /** Aborted on SIGINT/SIGTERM: transfers stop and say how to resume. */
  signal: AbortSignal;
}

export interface Command<O extends Options = Options> {
  name: string;
  summary: string;
  /** Usage line(s) and option help, printed by `cairn <command> --help`. */
  help: string;
  options: O;
  /** Positional arguments: [min, max] (max Infinity for lists). */
  positionals: [number, number];
  run(ctx: Context, values: Parsed<O & typeof GLOBAL_OPTIONS>, positionals: string[]): Promise<void>;
}

export type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true }>
>['values'];

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const GLOBAL_HELP = `Global options:
  --url <url>     registry URL (else CAIRN_URL, else the config file written by cairn login)
  --json          machine-readable output on stdout
  -q, --quiet     no progress bar, no chatter on stderr
  -h, --help      this help`;

export function defineCommand<O extends Options>(command: Command<O>): Command<O> {
  return command;
}

export function parseCommandLine<O extends Options>(command: Command<O>, argv: string[]) {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usageError(
      (err as Error).message.split('\n')[0] ?? String(err),
      `see: cairn ${command.name} --help`,
    );
  }
  const [min, max] = command.positionals;
  if (!parsed.values.help && (parsed.positionals.length < min || parsed.positionals.length > max)) {
    throw usageError(
      `cairn ${command.name} takes ${min === max ? min : max === Infinity ? `at least ${min}` : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}`,
      `usage: ${command.help.split('\n')[0]}`,
    );
  }
  return {
    values: parsed.values as Parsed<O & typeof GLOBAL_OPTIONS>,
    positionals: parsed.positionals,
  };
}
