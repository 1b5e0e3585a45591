/**
 * Opaque pagination cursors: base64url of a small JSON position `{t, k}` (a sort value and a
 * tie-breaking key). Clients must treat them as opaque; a malformed one is a 400, not a 500.
 */
import { ApiError } from '../errors';

export interface CursorPosition {
  t: number;
  k: string;
}

export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function encodeCursor(position: CursorPosition): string {
  return base64url(new TextEncoder().encode(JSON.stringify(position)));
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const bin = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const value = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0))));
    if (typeof value?.t === 'number' && typeof value?.k === 'string') return value;
  } catch {
    // fall through to the error below
  }
  throw new ApiError('BAD_REQUEST', 'cursor is malformed; pass back nextCursor exactly as received');
}
