/** Display formatting shared by the pages: digests, times, numbers, JSON values (sizes: lib/format.ts). */

/** `sha256:0123456789ab…`: enough to tell versions apart at a glance (the full one is in a title). */
export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? `${digest.slice(0, 19)}…` : digest;
}

/** `2026-11-26 23:15 UTC`: one unambiguous zone for everyone reading a shared page. */
export function formatTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : String(Number(n.toPrecision(6)));
}

/** Params and other JSON leaves as compact text (the JSX layer escapes it). */
export function formatValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

export function formatDelta(delta: number | null): string {
  if (delta === null) return '';
  return `${delta > 0 ? '+' : ''}${formatNumber(delta)}`;
}
