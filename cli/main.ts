/**
 * `cairn <command> [options]`: finds the command, parses its arguments, runs it, and turns any
 * failure into a message on stderr and a documented exit code (exit-codes.ts). SIGINT/SIGTERM
 * abort transfers cleanly (exit 7, with how to resume).
 */
import { CairnClient, CairnError } from '../src/client/index';
import { type Command, GLOBAL_HELP, type GLOBAL_OPTIONS, type Parsed, parseCommandLine } from './command';
import { diff } from './commands/diff';
import { key } from './commands/key';
import { lfsAgent, lfsEnableLargefiles } from './commands/lfs';
import { lineage } from './commands/lineage';
import { log } from './commands/log';
import { login } from './commands/login';
import { policy } from './commands/policy';
import { promote } from './commands/promote';
import { pull } from './commands/pull';
import { push } from './commands/push';
import { show } from './commands/show';
import { sign } from './commands/sign';
import { tag } from './commands/tag';
import { token } from './commands/token';
import { verify } from './commands/verify';
import { loadSettings, type Settings } from './config';
import { explain } from './errors';
import { EXIT, usageError } from './exit-codes';
import { Output } from './output';

const VERSION = '0.1.0';

// biome-ignore lint/suspicious/noExplicitAny: commands differ only in their option shapes
const COMMANDS: Command<any>[] = [
  login,
  push,
  pull,
  tag,
  promote,
  log,
  show,
  diff,
  lineage,
  verify,
  sign,
  key,
  policy,
  token,
  lfsEnableLargefiles,
  lfsAgent,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `cairn ${VERSION}: push, pull and trace ML datasets and models in a Cairn registry

Usage: cairn <command> [options]   (cairn <command> --help for its options)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Configuration: CAIRN_URL and CAIRN_TOKEN, else the file written by \`cairn login\`.

${GLOBAL_HELP}

Exit codes: 0 ok, 1 error, 2 usage, 3 auth (401/403), 4 not found, 5 conflict,
            6 verification failed, 7 network error or interrupted (rerun to resume)
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  let settings: Settings | null = null;
  const flagsQuiet = rest.includes('--quiet') || rest.includes('-q');
  let out = new Output({ json: rest.includes('--json'), quiet: flagsQuiet });
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(mainHelp());
      return name ? EXIT.OK : EXIT.USAGE;
    }
    if (name === '--version' || name === '-V') {
      process.stdout.write(`${VERSION}\n`);
      return EXIT.OK;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw usageError(`unknown command "${name}"`, 'see: cairn --help');
    const { values, positionals } = parseCommandLine(command, rest) as {
      values: Parsed<typeof GLOBAL_OPTIONS>;
      positionals: string[];
    };
    if (values.help) {
      process.stdout.write(`Usage: ${command.help}\n\n${GLOBAL_HELP}\n`);
      return EXIT.OK;
    }
    out = new Output({ json: values.json === true, quiet: values.quiet === true });
    let client: CairnClient | null = null;
    // An interruption ends the command at once, even if some transfer ignores the signal: the
    // caller must not wait on (nor Node silently exit from) a promise that never settles.
    const interrupted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    interrupted.catch(() => undefined);
    const run = command.run(
      {
        out,
        signal: controller.signal,
        async client() {
          settings ??= await loadSettings(values.url);
          client ??= new CairnClient({
            baseUrl: settings.url,
            token: settings.token,
            userAgent: `cairn-cli/${VERSION}`,
          });
          return client;
        },
      },
      values,
      positionals,
    );
    await Promise.race([run, interrupted]);
    return EXIT.OK;
  } catch (err) {
    // Whatever was in flight when the signal came, the story is the interruption.
    const explained = explain(
      controller.signal.aborted ? new CairnError(0, 'ABORTED', 'interrupted') : err,
      settings,
    );
    out.error(`cairn: ${explained.message}`);
    if (explained.hint) out.error(`hint: ${explained.hint}`);
    return explained.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

let signalled = false;
process.once('SIGINT', () => {
  signalled = true;
});
process.once('SIGTERM', () => {
  signalled = true;
});
const code = await main(process.argv.slice(2));
// After an interruption, sockets of abandoned transfers may still be open: leave now.
if (signalled) process.exit(code);
process.exitCode = code;
