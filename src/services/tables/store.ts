/**
 * Where profiles live (D1, migrations/0008): `table_profiles` holds the state and the profile JSON
 * per (file digest, key); `table_index_chunks` the row index as base64 text, ≤ PAGE_CELLS cells
 * a row (D1 caps a value at 2 MB). Write order: chunks first, then one statement flips the row to
 * ready, so a reader never sees a ready profile with a partial index; a redelivery rewrites
 * the chunks of a profile that is still pending (same bytes, same result), and every write of a
 * chunk is conditioned on the profile being pending, so a late step never touches a ready one.
 * A profile computed in steps (run.ts) keeps its progress in `table_profile_progress` and its
 * parts (migrations/0011), moved from step to step by compare-and-swap.
 */
import { sql } from 'drizzle-orm';
import type { TableProfile } from '../../contract/tables';
import type { Deps } from '../../deps';
import { toBase64 } from '../../lib/base64';
import { type IndexPages, PAGE_CELLS, type RowIndex } from './profile';

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

function cellsBase64(cells: Uint32Array): string {
  return toBase64(new Uint8Array(cells.buffer, cells.byteOffset, cells.byteLength));
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

const pending = (digest: string, key: string) =>
  sql`EXISTS (SELECT 1 FROM table_profiles WHERE digest = ${digest} AND key = ${key} AND state = 'pending')`;

/** Writes index pages as chunks `first`, `first + 1`, … (empty pages skipped); returns how many. */
export async function writeChunks(
  deps: Deps,
  digest: string,
  key: string,
  first: number,
  pages: readonly Uint32Array[],
): Promise<number> {
  let n = first;
  for (const page of pages) {
    if (page.length === 0) continue;
    const cells = cellsBase64(page);
    await deps.db.run(sql`
      INSERT OR REPLACE INTO table_index_chunks (digest, key, chunk, cells)
      SELECT ${digest}, ${key}, ${n}, ${cells} WHERE ${pending(digest, key)}`);
    n++;
  }
  return n - first;
}

/**
 * Marks a profile ready with the index pages not written yet: `firstChunk` is the number of
 * chunks earlier steps wrote (0 for a profile computed in one pass).
 */
export async function writeReady(
  deps: Deps,
  digest: string,
  key: string,
  profile: TableProfile,
  index: IndexPages | null,
  firstChunk = 0,
): Promise<void> {
  // Replaced in place, never deleted first: a concurrent delivery writes the same bytes, and
  // a delete of its could land after its flip to ready.
  const chunks = index ? firstChunk + (await writeChunks(deps, digest, key, firstChunk, index.pages)) : 0;
  await deps.db.run(sql`
    DELETE FROM table_index_chunks WHERE digest = ${digest} AND key = ${key} AND chunk >= ${chunks}
      AND ${pending(digest, key)}`);
  await deps.db.run(sql`
    UPDATE table_profiles SET state = 'ready', reason = NULL, profile = ${JSON.stringify(profile)},
      index_rows = ${index?.rows ?? null}, index_columns = ${index?.columns ?? null},
      index_keyed = ${index ? Number(index.keyed) : null}, index_chunks = ${chunks},
      index_widths = ${index ? Number(index.widths) : null}, updated_at = ${deps.now()}
    WHERE digest = ${digest} AND key = ${key} AND state = 'pending'`);
  await clearProgress(deps, digest, key);
}

export async function writeFailed(deps: Deps, digest: string, key: string, reason: string): Promise<void> {
  await deps.db.run(sql`
    UPDATE table_profiles SET state = 'failed', reason = ${reason.slice(0, 500)}, updated_at = ${deps.now()}
    WHERE digest = ${digest} AND key = ${key} AND state = 'pending'`);
  await deps.db.run(sql`DELETE FROM table_index_chunks WHERE digest = ${digest} AND key = ${key}`);
  await clearProgress(deps, digest, key);
}

/** Where a profile computed in steps stands; `state` is run.ts's (JSON). */
export interface Progress<S> {
  step: number;
  offset: number;
  chunks: number;
  state: S;
}

/** Characters a progress part holds (≤ 1.5 MB of UTF-8, under D1's 2 MB a value). */
export const PART_CHARS = 512 * 1024;

// JSON has no Infinity or NaN; a column's mean can be either (a value like 1e999).
const replacer = (_: string, v: unknown) =>
  typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v;
const reviver = (_: string, v: unknown) =>
  v !== null && typeof v === 'object' && '$number' in v ? Number((v as { $number: string }).$number) : v;

/** Cuts text into parts at most PART_CHARS long, never between the halves of a surrogate pair. */
function cut(text: string): string[] {
  const parts: string[] = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + PART_CHARS);
    const c = text.charCodeAt(end - 1);
    if (end < text.length && c >= 0xd800 && c <= 0xdbff) end--;
    parts.push(text.slice(at, end));
    at = end;
  }
  return parts;
}

export async function readProgress<S>(deps: Deps, digest: string, key: string): Promise<Progress<S> | null> {
  const [row] = await deps.db.all<{ step: number; offset: number; chunks: number; parts: number }>(sql`
    SELECT step, "offset" AS offset, chunks, parts FROM table_profile_progress WHERE digest = ${digest} AND key = ${key}`);
  if (!row) return null;
  const parts = await deps.db.all<{ body: string }>(sql`
    SELECT body FROM table_profile_progress_parts WHERE digest = ${digest} AND key = ${key} AND step = ${row.step}
    ORDER BY part`);
  if (parts.length !== row.parts) throw new Error(`progress of ${digest} step ${row.step} lacks parts`);
  const state = JSON.parse(parts.map((p) => p.body).join(''), reviver) as S;
  return { step: row.step, offset: row.offset, chunks: row.chunks, state };
}

/**
 * Moves a profile's progress from step `from` (0: none yet) to `from + 1`: parts first, under
 * the new step, then the progress row by compare-and-swap. False when another delivery moved it
 * first (this step's work is then dropped: it counted nothing).
 */
export async function saveProgress(
  deps: Deps,
  digest: string,
  key: string,
  from: number,
  next: Omit<Progress<unknown>, 'step'>,
): Promise<boolean> {
  const parts = cut(JSON.stringify(next.state, replacer));
  const step = from + 1;
  for (const [i, body] of parts.entries()) {
    await deps.db.run(sql`
      INSERT OR REPLACE INTO table_profile_progress_parts (digest, key, step, part, body)
      SELECT ${digest}, ${key}, ${step}, ${i}, ${body} WHERE ${pending(digest, key)}`);
  }
  const now = deps.now();
  const won =
    from === 0
      ? await deps.db.all(sql`
          INSERT INTO table_profile_progress (digest, key, step, "offset", chunks, parts, updated_at)
          SELECT ${digest}, ${key}, ${step}, ${next.offset}, ${next.chunks}, ${parts.length}, ${now}
          WHERE ${pending(digest, key)} ON CONFLICT DO NOTHING RETURNING step`)
      : await deps.db.all(sql`
          UPDATE table_profile_progress SET step = ${step}, "offset" = ${next.offset}, chunks = ${next.chunks},
            parts = ${parts.length}, updated_at = ${now}
          WHERE digest = ${digest} AND key = ${key} AND step = ${from} RETURNING step`);
  if (won.length === 0) return false;
  await deps.db.run(sql`
    DELETE FROM table_profile_progress_parts WHERE digest = ${digest} AND key = ${key} AND step < ${step}`);
  // A profile moving forward is not stuck: the cron's sweep leaves it to its own messages.
  await deps.db.run(sql`
    UPDATE table_profiles SET updated_at = ${now} WHERE digest = ${digest} AND key = ${key} AND state = 'pending'`);
  return true;
}

export async function clearProgress(deps: Deps, digest: string, key: string): Promise<void> {
  await deps.db.run(sql`DELETE FROM table_profile_progress WHERE digest = ${digest} AND key = ${key}`);
  await deps.db.run(sql`DELETE FROM table_profile_progress_parts WHERE digest = ${digest} AND key = ${key}`);
}

export async function readIndex(deps: Deps, digest: string, key: string): Promise<RowIndex | null> {
  const [head] = await deps.db.all<{
    rows: number;
    columns: number;
    keyed: number;
    widths: number | null;
  }>(sql`
    SELECT index_rows AS rows, index_columns AS columns, index_keyed AS keyed, index_widths AS widths
    FROM table_profiles
    WHERE digest = ${digest} AND key = ${key} AND state = 'ready' AND index_rows IS NOT NULL`);
  if (!head) return null;
  const keyed = head.keyed === 1;
  const stride = (keyed ? 2 : 0) + head.columns;
  const chunks = await deps.db.all<{ cells: string }>(sql`
    SELECT cells FROM table_index_chunks WHERE digest = ${digest} AND key = ${key} ORDER BY chunk`);
  const index = { rows: head.rows, columns: head.columns, keyed };
  if (head.widths !== 1) {
    const bytes = new Uint8Array(head.rows * stride * 4);
    let at = 0;
    for (const c of chunks) at += fromBase64(c.cells, bytes, at);
    return { ...index, cells: new Uint32Array(bytes.buffer) };
  }
  // Rows prefixed by their width (JSON Lines): laid out at the final width, missing cells 0.
  const cells = new Uint32Array(head.rows * stride);
  const lead = keyed ? 2 : 0;
  const page = new Uint8Array(PAGE_CELLS * 4);
  let row = 0;
  let pos = 0; // within a row's record: its key cells, its width, its column cells
  let width = 0;
  for (const c of chunks) {
    const words = new Uint32Array(page.buffer, 0, fromBase64(c.cells, page, 0) / 4);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (pos < lead) cells[row * stride + pos] = w;
      else if (pos === lead) width = w;
      else cells[row * stride + pos - 1] = w;
      pos++;
      if (pos === lead + 1 + width) {
        row++;
        pos = 0;
      }
    }
  }
  return { ...index, cells };
}
