/**
 * stdout carries results (text, or one JSON document with --json); stderr carries progress and
 * notes, silenced by --quiet. A progress bar is drawn only when stderr is a terminal.
 */
import { Progress } from './progress';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream | NodeJS.WritableStream;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** The command's result: `text` for people, `value` as JSON for machines. */
  result(text: string | (() => string), value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const rendered = typeof text === 'function' ? text() : text;
      if (rendered) this.stdout.write(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
    }
  }

  /** A note on stderr (not with --quiet). */
  info(message: string): void {
    if (!this.quiet) this.stderr.write(`${message}\n`);
  }

  /** An error on stderr (always). */
  error(message: string): void {
    this.stderr.write(`${message}\n`);
  }

  progress(label: string, totalBytes: number, totalItems: number): Progress {
    const tty = (this.stderr as NodeJS.WriteStream).isTTY === true;
    return new Progress({ label, totalBytes, totalItems, stream: tty && !this.quiet ? this.stderr : null });
  }
}
