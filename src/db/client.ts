/** The Drizzle handle over D1. */
import type { SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import * as schema from './schema';

const handles = new WeakMap<D1Database, ReturnType<typeof build>>();
const build = (d1: D1Database) => drizzle(d1, { schema });

/** One handle per binding object, reused across requests: building one maps the whole schema. */
export function createDb(d1: D1Database) {
  let db = handles.get(d1);
  if (!db) {
    db = build(d1);
    handles.set(d1, db);
  }
  return db;
}

export type Db = ReturnType<typeof createDb>;
/** A statement for `runBatch`: a drizzle `sql` template (rows come back via RETURNING). */
export type BatchStatement = SQL;
type Row = Record<string, unknown>;

const dialect = new SQLiteAsyncDialect();

/**
 * Runs statements as one D1 batch: D1's only transaction (all or nothing, in order), returning
 * each statement's rows positionally. Raw `sql` goes straight to the D1 binding: drizzle 0.45's
 * own `batch()` cannot bind parameters of raw `db.run(sql)` queries.
 */
export async function runBatch(db: Db, statements: readonly BatchStatement[]): Promise<Row[][]> {
  if (statements.length === 0) return [];
  const d1 = db.$client;
  const prepared = statements.map((statement) => {
    const query = dialect.sqlToQuery(statement);
    return d1.prepare(query.sql).bind(...query.params);
  });
  const results = await d1.batch<Row>(prepared);
  return results.map((r) => r.results ?? []);
}

/**
 * Rows per JSON-array parameter for `json_each` statements. D1 caps a string at 2,000,000 bytes;
 * 5,000 digest-sized items (~75 bytes each) stay far below it. Lists with long values (paths)
 * are chunked by size with `chunkJson` instead.
 */
export const JSON_CHUNK_ITEMS = 5_000;
/** In UTF-16 units: at most 3 UTF-8 bytes each, so a chunk stays under 1.8 MB. */
const JSON_CHUNK_CHARS = 600_000;

/** Splits rows into JSON arrays of at most `maxChars` each (one row larger than that stands alone). */
export function chunkJson(rows: readonly unknown[], maxChars = JSON_CHUNK_CHARS): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (current.length > 0 && bytes + text.length + 1 > maxChars) {
      out.push(`[${current.join(',')}]`);
      current = [];
      bytes = 2;
    }
    current.push(text);
    bytes += text.length + 1;
  }
  if (current.length > 0) out.push(`[${current.join(',')}]`);
  return out;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
