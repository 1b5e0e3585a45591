/**
 * Where profiles live (D1, migrations/0008): `table_profiles` holds the state and the profile JSON
 * per (file digest, key); `table_index_chunks` the row index as base64 text, ≤ PAGE_CELLS cells
 * a row (D1 caps a value at 2 MB). Write order: chunks first, then one statement flips the row to
 * ready, so a reader never sees a ready profile with a partial index; a redelivery rewrites
 * the chunks of a profile that is still pending (same bytes, same result).
 */
import { sql } from 'drizzle-orm';
import type { TableProfile } from '../../contract/tables';
import type { Deps } from '../../deps';
import type { IndexPages, RowIndex } from './profile';

export type ProfileState =
  | { state: 'pending' }
  | { state: 'failed'; reason: string }
  | { state: 'ready'; profile: TableProfile; indexed: boolean };

export const keyText = (key: readonly string[] | null | undefined) =>
  key?.length ? JSON.stringify(key) : '';

/** Creates pending rows for the files not yet known; returns those it created. */
export async function claimPending<T extends { digest: string; path: string; key: string }>(
  deps: Deps,
  files: readonly T[],
): Promise<T[]> {
  const created: T[] = [];
  for (const f of files) {
    const rows = await deps.db.all<{ digest: string }>(sql`
      INSERT INTO table_profiles (digest, key, path, state, updated_at)
      VALUES (${f.digest}, ${f.key}, ${f.path}, 'pending', ${deps.now()})
      ON CONFLICT DO NOTHING RETURNING digest`);
    if (rows.length > 0) created.push(f);
  }
  return created;
}

export async function readState(deps: Deps, digest: string, key: string): Promise<ProfileState | null> {
  const [row] = await deps.db.all<{
    state: string;
    reason: string | null;
    profile: string | null;
    index_rows: number | null;
  }>(
    sql`SELECT state, reason, profile, index_rows FROM table_profiles WHERE digest = ${digest} AND key = ${key}`,
  );
  if (!row) return null;
  if (row.state === 'ready') {
    return {
      state: 'ready',
      profile: JSON.parse(row.profile!) as TableProfile,
      indexed: row.index_rows !== null,
    };
  }
  if (row.state === 'failed') return { state: 'failed', reason: row.reason ?? 'unknown' };
  return { state: 'pending' };
}

function toBase64(cells: Uint32Array): string {
  const bytes = new Uint8Array(cells.buffer, cells.byteOffset, cells.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

type Base64Decoder = { fromBase64?: (text: string) => Uint8Array };

function fromBase64(text: string, into: Uint8Array, at: number): number {
  // Native where the runtime has it (V8's Uint8Array.fromBase64), else byte by byte.
  const native = (Uint8Array as unknown as Base64Decoder).fromBase64;
  if (native) {
    const bytes = native(text);
    into.set(bytes, at);
    return bytes.length;
  }
  const s = atob(text);
  for (let i = 0; i < s.length; i++) into[at + i] = s.charCodeAt(i);
  return s.length;
}

export async function writeReady(
  deps: Deps,
  digest: string,
  key: string,
  profile: TableProfile,
  index: IndexPages | null,
): Promise<void> {
  await deps.db.run(sql`DELETE FROM table_index_chunks WHERE digest = ${digest} AND key = ${key}`);
  let chunks = 0;
  if (index) {
    for (const page of index.pages) {
      if (page.length === 0) continue;
      const cells = toBase64(page);
      await deps.db.run(sql`
        INSERT INTO table_index_chunks (digest, key, chunk, cells) VALUES (${digest}, ${key}, ${chunks}, ${cells})`);
      chunks++;
    }
  }
  await deps.db.run(sql`
    UPDATE table_profiles SET state = 'ready', reason = NULL, profile = ${JSON.stringify(profile)},
      index_rows = ${index?.rows ?? null}, index_columns = ${index?.columns ?? null},
      index_keyed = ${index ? Number(index.keyed) : null}, index_chunks = ${chunks}, updated_at = ${deps.now()}
    WHERE digest = ${digest} AND key = ${key} AND state = 'pending'`);
}

export async function writeFailed(deps: Deps, digest: string, key: string, reason: string): Promise<void> {
  await deps.db.run(sql`
    UPDATE table_profiles SET state = 'failed', reason = ${reason.slice(0, 500)}, updated_at = ${deps.now()}
    WHERE digest = ${digest} AND key = ${key} AND state = 'pending'`);
}

export async function readIndex(deps: Deps, digest: string, key: string): Promise<RowIndex | null> {
  const [head] = await deps.db.all<{ rows: number; columns: number; keyed: number }>(sql`
    SELECT index_rows AS rows, index_columns AS columns, index_keyed AS keyed FROM table_profiles
    WHERE digest = ${digest} AND key = ${key} AND state = 'ready' AND index_rows IS NOT NULL`);
  if (!head) return null;
  const keyed = head.keyed === 1;
  const bytes = new Uint8Array(head.rows * ((keyed ? 2 : 0) + head.columns) * 4);
  const chunks = await deps.db.all<{ cells: string }>(sql`
    SELECT cells FROM table_index_chunks WHERE digest = ${digest} AND key = ${key} ORDER BY chunk`);
  let at = 0;
  for (const c of chunks) at += fromBase64(c.cells, bytes, at);
  return { rows: head.rows, columns: head.columns, keyed, cells: new Uint32Array(bytes.buffer) };
}
