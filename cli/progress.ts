/**
 * A one-line progress bar on stderr: bytes done of total, rate, ETA, items. Redrawn at most
 * every 100 ms; with no stream (not a TTY, or --quiet) it only counts, so callers never branch.
 */
import { formatBytes } from '../src/lib/format';

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export interface ProgressState {
  label: string;
  doneBytes: number;
  totalBytes: number;
  doneItems: number;
  totalItems: number;
  elapsedMs: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** The line for a state, e.g. `upload [#####-----]  42% 10.0 MiB/24.0 MiB 5.0 MiB/s ETA 00:03 3/7`. */
export function renderProgress(state: ProgressState): string {
  const fraction = state.totalBytes > 0 ? Math.min(1, state.doneBytes / state.totalBytes) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0 ? state.doneBytes / seconds : 0;
  const eta = rate > 0 ? (state.totalBytes - state.doneBytes) / rate : Number.NaN;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return (
    `${state.label} [${bar}] ${percent} ${formatBytes(state.doneBytes)}/${formatBytes(state.totalBytes)} ` +
    `${formatBytes(Math.round(rate))}/s ETA ${formatDuration(eta)} ${state.doneItems}/${state.totalItems}`
  );
}

export class Progress {
  doneBytes = 0;
  doneItems = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly label: string;
  private readonly stream: NodeJS.WritableStream | null;
  totalBytes: number;
  totalItems: number;

  constructor(options: {
    label: string;
    totalBytes: number;
    totalItems: number;
    stream: NodeJS.WritableStream | null;
  }) {
    this.label = options.label;
    this.totalBytes = options.totalBytes;
    this.totalItems = options.totalItems;
    this.stream = options.stream;
  }

  addBytes(n: number): void {
    this.doneBytes += n;
    this.draw(false);
  }

  /** Bytes counted for an attempt that failed and will be sent again. */
  takeBackBytes(n: number): void {
    this.doneBytes -= n;
  }

  addItem(): void {
    this.doneItems++;
    this.draw(false);
  }

  state(): ProgressState {
    return {
      label: this.label,
      doneBytes: this.doneBytes,
      totalBytes: this.totalBytes,
      doneItems: this.doneItems,
      totalItems: this.totalItems,
      elapsedMs: Date.now() - this.started,
    };
  }

  private draw(force: boolean): void {
    if (!this.stream) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.stream.write(`\r\x1b[2K${renderProgress(this.state())}`);
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    // Nothing was to be done (e.g. every blob already stored): no bar at all.
    if (!this.stream || (this.totalItems === 0 && this.doneItems === 0)) return;
    this.draw(true);
    this.stream.write('\n');
  }
}
