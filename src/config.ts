/**
 * Runtime settings read from wrangler `[vars]`, parsed once per request with safe defaults so a
 * missing or malformed var never turns into NaN limits.
 */
import type { Bindings } from './env';

const MiB = 1024 * 1024;

/** R2 multipart limits: every part but the last ≥ 5 MiB, at most 10,000 parts. */
export const R2_MIN_PART_SIZE = 5 * MiB;
export const R2_MAX_PARTS = 10_000;

export interface Config {
  publicRead: boolean;
  maxSingleUploadBytes: number;
  uploadPartSize: number;
  uploadTtlMs: number;
  protectedTags: string[];
  /** Garbage collection leaves unreferenced blobs alone this long (never under 30 days: gc.ts). */
  gcGraceMs: number;
  /** Failed authentications allowed per client (IP) and per presented token in one window. */
  authFailureLimit: number;
  authFailureWindowMs: number;
  /** Audit events older than this are dropped by the hourly cron. */
  auditRetentionMs: number;
  /** OpenLineage push delivery (services/openlineage/): off when `url` is unset. */
  openlineage: OpenLineageConfig;
  /** Chunked blobs (services/chunks/): bytes one recipe request may hash before answering 202. */
  recipeHashBudgetBytes: number;
  /** Chunked blobs: a SHA-256 checkpoint is kept at the first chunk boundary past every multiple. */
  chunkCheckpointBytes: number;
}

export interface OpenLineageConfig {
  url: string | undefined;
  apiKey: string | undefined;
  /** Dataset namespace; default `cairn://<host of the request>`. */
  namespace: string | undefined;
  maxAttempts: number;
  retryBaseSeconds: number;
  maxDelaySeconds: number;
  timeoutMs: number;
}

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export function readConfig(env: Partial<Bindings>): Config {
  const maxSingleUploadBytes = positiveInt(env.MAX_SINGLE_UPLOAD_BYTES, 95 * MiB);
  // A part is one request, so it can never exceed the single-request limit.
  const uploadPartSize = Math.min(
    Math.max(positiveInt(env.UPLOAD_PART_SIZE, 64 * MiB), R2_MIN_PART_SIZE),
    Math.max(maxSingleUploadBytes, R2_MIN_PART_SIZE),
  );
  return {
    publicRead: env.PUBLIC_READ === 'true',
    maxSingleUploadBytes,
    uploadPartSize,
    uploadTtlMs: positiveInt(env.UPLOAD_TTL_SECONDS, 86_400) * 1000,
    gcGraceMs: positiveInt(env.GC_GRACE_DAYS, 30) * 86_400_000,
    authFailureLimit: positiveInt(env.AUTH_FAILURE_LIMIT, 20),
    authFailureWindowMs: positiveInt(env.AUTH_FAILURE_WINDOW_SECONDS, 300) * 1000,
    auditRetentionMs: positiveInt(env.AUDIT_RETENTION_DAYS, 365) * 86_400_000,
    protectedTags: (env.PROTECTED_TAGS ?? 'production')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    openlineage: {
      url: env.OPENLINEAGE_URL || undefined,
      apiKey: env.OPENLINEAGE_API_KEY || undefined,
      namespace: env.OPENLINEAGE_NAMESPACE || undefined,
      maxAttempts: positiveInt(env.OPENLINEAGE_MAX_ATTEMPTS, 8),
      retryBaseSeconds: positiveInt(env.OPENLINEAGE_RETRY_BASE_SECONDS, 30),
      maxDelaySeconds: 3600,
      timeoutMs: positiveInt(env.OPENLINEAGE_TIMEOUT_MS, 10_000),
    },
    // 2 GiB ≈ 7 s of CPU at ResumableSha256's ≈ 280 MiB/s: well inside the Workers CPU limit.
    recipeHashBudgetBytes: positiveInt(env.RECIPE_HASH_BUDGET_BYTES, 2048 * MiB),
    chunkCheckpointBytes: positiveInt(env.CHUNK_CHECKPOINT_BYTES, 8 * MiB),
  };
}
