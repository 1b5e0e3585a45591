/**
 * D1 tables (Drizzle schema; SQL migrations in /migrations are generated from this file by
 * `npm run db:generate`). D1 keeps what queries need; bytes and manifests live in R2
 * (see src/storage/blob-store.ts for the key layout).
 *
 *   blobs          one row per verified blob: a row exists only after R2 holds the exact bytes
 *   uploads        multipart upload sessions (one open session per digest)
 *   upload_parts   parts received for a session (re-sending a part replaces its row)
 *   tokens         API tokens, stored as SHA-256 of the secret, never the secret itself
 *
 * Times are milliseconds since the epoch (integers), rendered as ISO-8601 in responses.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const blobs = sqliteTable('blobs', {
  digest: text('digest').primaryKey(),
  size: integer('size').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const uploads = sqliteTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    digest: text('digest').notNull(),
    size: integer('size').notNull(),
    partSize: integer('part_size').notNull(),
    partCount: integer('part_count').notNull(),
    /** R2's own multipart upload id (needed to resume the upload from any request). */
    r2UploadId: text('r2_upload_id').notNull(),
    /** `open` accepts parts; `completing` is leased by one complete call until `leaseUntil`. */
    state: text('state', { enum: ['open', 'completing'] }).notNull(),
    leaseUntil: integer('lease_until'),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    // At most one live session per digest: two sessions assembling the same key in R2 could
    // otherwise overwrite each other's verified bytes.
    uniqueIndex('uploads_digest_unique').on(t.digest),
    index('uploads_expires_at_idx').on(t.expiresAt),
  ],
);

export const uploadParts = sqliteTable(
  'upload_parts',
  {
    uploadId: text('upload_id')
      .notNull()
      .references(() => uploads.id, { onDelete: 'cascade' }),
    partNumber: integer('part_number').notNull(),
    size: integer('size').notNull(),
    etag: text('etag').notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);

export const tokens = sqliteTable(
  'tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** Hex SHA-256 of the secret token. */
    tokenHash: text('token_hash').notNull(),
    /** JSON array of scopes. */
    scopes: text('scopes', { mode: 'json' }).$type<Scope[]>().notNull(),
    /** JSON array of namespaces the token is limited to; null = all namespaces. */
    namespaces: text('namespaces', { mode: 'json' }).$type<string[] | null>(),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('tokens_hash_unique').on(t.tokenHash)],
);

export const SCOPES = ['read', 'write', 'promote', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type BlobRow = typeof blobs.$inferSelect;
export type UploadRow = typeof uploads.$inferSelect;
export type UploadPartRow = typeof uploadParts.$inferSelect;
export type TokenRow = typeof tokens.$inferSelect;
