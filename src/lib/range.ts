/**
 * Parses a single-range `Range: bytes=…` header against a known size (RFC 9110 §14.1.2).
 * Multi-range or non-byte requests are ignored (the full body is served, which the RFC allows).
 */
export type RangeResult =
  | { kind: 'none' }
  | { kind: 'range'; offset: number; length: number }
  | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'none' };
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return { kind: 'none' };
  const [, startRaw = '', endRaw = ''] = match;
  if (startRaw === '' && endRaw === '') return { kind: 'none' };
  if (startRaw === '') {
    // Suffix range: the last N bytes.
    const suffix = Number(endRaw);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    const length = Math.min(suffix, size);
    return { kind: 'range', offset: size - length, length };
  }
  const start = Number(startRaw);
  const end = endRaw === '' ? size - 1 : Math.min(Number(endRaw), size - 1);
  if (start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'range', offset: start, length: end - start + 1 };
}
