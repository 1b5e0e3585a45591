/**
 * The dependencies every service takes first: the database, the blob store, the runtime
 * settings and the clock. Built once per request by the context middleware (and by the cron
 * entry); tests build their own, e.g. with a fixed clock or the in-memory blob store.
 */
import type { Config } from './config';
import { readConfig } from './config';
import { createDb, type Db } from './db/client';
import type { Bindings } from './env';
import { d1RecipeIndex } from './services/chunks/recipe-index';
import type { OutboxMessage } from './services/openlineage/outbox';
import type { ProfileQueue } from './services/tables/queue';
import type { BlobStore } from './storage/blob-store';
import { chunkedBlobStore } from './storage/chunked-blob-store';
import { r2BlobStoreOf } from './storage/r2-blob-store';

export interface Deps {
  db: Db;
  blobs: BlobStore;
  config: Config;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The registry's signing key (REGISTRY_SIGNING_KEY secret: PKCS#8 PEM or JWK), if configured. */
  registryKey?: string | undefined;
  /** The `cairn-openlineage` queue (services/openlineage/outbox.ts); absent in some test setups. */
  openlineageQueue?: Queue<OutboxMessage>;
  /** The table-profile queue's producer (services/tables/queue.ts), when bound. */
  profiles?: ProfileQueue | undefined;
}

export function createDeps(env: Bindings, overrides: Partial<Deps> = {}): Deps {
  const db = createDb(env.DB);
  return {
    db,
    // Chunked blobs (services/chunks/) read through the same seam as whole ones.
    blobs: chunkedBlobStore(r2BlobStoreOf(env.BLOBS), d1RecipeIndex(db)),
    config: readConfig(env),
    now: Date.now,
    registryKey: env.REGISTRY_SIGNING_KEY,
    ...(env.OPENLINEAGE_QUEUE ? { openlineageQueue: env.OPENLINEAGE_QUEUE as Queue<OutboxMessage> } : {}),
    profiles: env.PROFILES as ProfileQueue | undefined,
    ...overrides,
  };
}
