/**
 * The dependencies every service takes first: the database, the blob store, the runtime
 * settings and the clock. Built once per request by the context middleware (and by the cron
 * entry); tests build their own, e.g. with a fixed clock or the in-memory blob store.
 */
import type { Config } from './config';
import { readConfig } from './config';
import { createDb, type Db } from './db/client';
import type { Bindings } from './env';
import type { BlobStore } from './storage/blob-store';
import { r2BlobStore } from './storage/r2-blob-store';

export interface Deps {
  db: Db;
  blobs: BlobStore;
  config: Config;
  /** Milliseconds since the epoch. */
  now(): number;
}

const stores = new WeakMap<R2Bucket, BlobStore>();

function blobStoreOf(bucket: R2Bucket): BlobStore {
  let store = stores.get(bucket);
  if (!store) {
    store = r2BlobStore(bucket);
    stores.set(bucket, store);
  }
  return store;
}

export function createDeps(env: Bindings, overrides: Partial<Deps> = {}): Deps {
  return {
    db: createDb(env.DB),
    blobs: blobStoreOf(env.BLOBS),
    config: readConfig(env),
    now: Date.now,
    ...overrides,
  };
}
