/**
 * The API's answers as zod schemas, for the OpenAPI document only (routes never parse their own
 * output). The shapes themselves are declared once, as types, in src/contract/ (shared by the
 * server, the client and the CLI); each schema here is pinned to its contract type by a
 * compile-time check at the bottom (`Same<…>`: assignable both ways), so a field added to, removed
 * from or retyped in the contract fails `tsc` until its schema follows. Objects are strict in
 * the document (zod's output mode: `additionalProperties: false`), so the response test
 * (test/unit/openapi-responses.test.ts) also catches a field the server sends but the contract
 * does not declare. The diff and explain answers are in ./diff-schemas.ts.
 */
import { z } from 'zod';
import type {
  ArtifactDetail,
  ArtifactSummary,
  BlobInfo,
  CreatedToken,
  ErrorBody,
  Health,
  Impact,
  LineageGraph,
  MetricsAdded,
  Page,
  PartReceipt,
  Resolved,
  StartUploadResult,
  TagEvent,
  TagMove,
  TokenInfo,
  UploadSession,
  VersionDetail,
  VersionSummary,
} from '../contract';
import { ERROR_STATUS, type ErrorCode } from '../contract/errors';
import { DIGEST_RULE } from '../contract/grammar';
import type { AuditView } from '../services/audit';
import type { GcReport } from '../services/gc';

export const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, DIGEST_RULE);
export const timestamp = z.string().meta({ format: 'date-time' });
export const nullableDigest = digest.nullable();
const numbers = z.record(z.string(), z.number());

function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** Cairn's error shape; `codes` narrows `code` to those a response can carry. */
export function errorSchema(codes: readonly ErrorCode[]) {
  return z.object({
    error: z.object({
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string().optional(),
    }),
  });
}
const anyError = errorSchema(Object.keys(ERROR_STATUS) as ErrorCode[]);

/** GET /v1/openapi.json: only its frame (the official 3.1 schema checks the rest in the tests). */
export const openApiDocument = z.looseObject({
  openapi: z.string().regex(/^3\.1\.\d+$/),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

export const health = z.object({ status: z.string(), service: z.string(), apiVersion: z.string() });

export const blobInfo = z.object({ digest, size: z.number().int() });
export const missingBlobs = z.object({ missing: z.array(digest) });

const uploadSession = z.object({
  uploadId: z.string(),
  digest,
  size: z.number().int(),
  partSize: z.number().int(),
  partCount: z.number().int(),
  parts: z.array(z.number().int()),
  expiresAt: timestamp,
});
export const uploadStarted = z.union([
  uploadSession.extend({ exists: z.literal(false), resumed: z.boolean() }),
  z.object({ exists: z.literal(true), digest, size: z.number().int() }),
]);
export const upload = uploadSession;
export const partReceipt = z.object({ part: z.number().int(), size: z.number().int() });

const scope = z.enum(['read', 'write', 'promote', 'admin']);
export const tokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(scope),
  namespaces: z.array(z.string()).nullable(),
  createdAt: timestamp,
  createdBy: z.string(),
  expiresAt: timestamp.nullable(),
});
export const createdToken = tokenInfo.extend({ token: z.string() });
export const tokenPage = page(tokenInfo);

export const auditPage = page(
  z.object({
    id: z.number().int(),
    at: timestamp,
    requestId: z.string(),
    actor: z.string(),
    actorId: z.string().nullable(),
    ip: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    action: z.string(),
    artifact: z.string().nullable(),
    status: z.number().int(),
    outcome: z.enum(['ok', 'denied', 'failed']),
    code: z.string().nullable(),
  }),
);

const countBytes = { count: z.number().int(), bytes: z.number().int(), sample: z.array(z.string()) };
export const gcReport = z.object({
  dryRun: z.boolean(),
  graceSeconds: z.number(),
  cutoff: timestamp,
  blobs: z.object(countBytes),
  orphans: z.object({ ...countBytes, scanned: z.number().int() }),
  resumed: z.number().int(),
  staleIntents: z.number().int(),
  uploadsAborted: z.number().int(),
  packs: z.object({
    deleted: z.object({ count: z.number().int(), bytes: z.number().int() }),
    compacted: z.object({ count: z.number().int(), bytes: z.number().int(), chunksMoved: z.number().int() }),
    checkpointsDropped: z.number().int(),
  }),
});

export const artifactPage = page(
  z.object({
    name: z.string(),
    kind: z.string(),
    createdAt: timestamp,
    latestVersion: z.number().int().nullable(),
  }),
);
export const artifactDetail = z.object({
  name: z.string(),
  kind: z.string(),
  createdAt: timestamp,
  createdBy: z.string(),
  tags: z.record(z.string(), digest),
  latestVersion: z.object({ version: z.number().int(), digest, createdAt: timestamp }).nullable(),
  versionCount: z.number().int(),
});

export const manifestFile = z.object({
  path: z.string(),
  digest,
  size: z.number().int(),
  table: z.object({ key: z.array(z.string()) }).optional(),
});
export const code = z.object({
  repo: z.string().optional(),
  commit: z.string().optional(),
  path: z.string().optional(),
  dirty: z.boolean().optional(),
});
export const manifest = z.object({
  schema: z.literal('cairn.manifest/v1'),
  artifact: z.string(),
  kind: z.enum(['dataset', 'model', 'other']),
  files: z.array(manifestFile),
  inputs: z.array(z.object({ role: z.string(), ref: z.string(), digest })),
  code: code.optional(),
  environment: z
    .object({
      lockfiles: z.array(z.object({ path: z.string(), digest })).optional(),
      image: z.string().optional(),
      runtime: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

const versionSummary = z.object({
  version: z.number().int(),
  digest,
  createdAt: timestamp,
  createdBy: z.string(),
  fileCount: z.number().int(),
  size: z.number().int(),
  tags: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
});
export const versionPage = page(versionSummary);
const metricsHistory = z.array(z.object({ at: timestamp, by: z.string(), metrics: numbers }));
export const versionDetail = versionSummary.extend({
  artifact: z.string(),
  kind: z.string(),
  manifest,
  metrics: numbers,
  metricsHistory,
  manifestUrl: z.string(),
  /** Where OCI clients pull it (`/v2`): `host/ns/name:<number>`. */
  ociReference: z.string(),
  files: z.array(
    z.object({
      path: z.string(),
      digest,
      size: z.number().int(),
      storedSize: z.number().int(),
      chunked: z.boolean(),
    }),
  ),
  storedSize: z.number().int(),
});
export const published = z.object({
  artifact: z.string(),
  version: z.number().int(),
  digest,
  manifestUrl: z.string(),
});
export const metricsAdded = z.object({ version: z.number().int(), digest, metrics: numbers, metricsHistory });
export const resolved = published.extend({ ref: z.string() });

export const tagMap = z.record(z.string(), digest);
export const tagMove = z.object({ tag: z.string(), digest, previous: nullableDigest });
export const tagHistoryPage = page(
  z.object({
    from: nullableDigest,
    to: nullableDigest,
    at: timestamp,
    by: z.string(),
    reason: z.string().nullable(),
    attestations: z.array(digest).optional(),
  }),
);

export const lineageGraph = z.object({
  root: digest,
  direction: z.enum(['up', 'down', 'both']),
  depth: z.number().int(),
  nodes: z.array(
    z.object({
      digest,
      artifact: z.string(),
      version: z.number().int(),
      kind: z.string(),
      tags: z.array(z.string()),
      depth: z.number().int(),
    }),
  ),
  edges: z.array(z.object({ from: digest, to: digest, role: z.string() })),
  truncated: z.boolean(),
  hidden: z.number().int(),
});
export const impact = z.object({
  root: digest,
  protectedTags: z.array(z.string()),
  versions: z.array(
    z.object({
      artifact: z.string(),
      version: z.number().int(),
      digest,
      tags: z.array(z.string()),
      path: z.array(digest.nullable()),
    }),
  ),
  hidden: z.number().int(),
});

// Compile-time: every schema above says exactly what its contract type says.
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Check<S extends z.ZodType, T> = Same<z.output<S>, T>;
export type Assert<T extends true[]> = T;
export type SchemasMatchTheContract = Assert<
  [
    Check<typeof anyError, ErrorBody>,
    Check<typeof health, Health>,
    Check<typeof blobInfo, BlobInfo>,
    Check<typeof upload, UploadSession>,
    Check<typeof uploadStarted, StartUploadResult>,
    Check<typeof partReceipt, PartReceipt>,
    Check<typeof tokenInfo, TokenInfo>,
    Check<typeof createdToken, CreatedToken>,
    Check<typeof tokenPage, Page<TokenInfo>>,
    Check<typeof auditPage, Page<AuditView>>,
    Check<typeof gcReport, GcReport>,
    Check<typeof artifactPage, Page<ArtifactSummary>>,
    Check<typeof artifactDetail, ArtifactDetail>,
    Check<typeof manifest, VersionDetail['manifest']>,
    Check<typeof versionPage, Page<VersionSummary>>,
    Check<typeof versionDetail, VersionDetail>,
    Check<typeof metricsAdded, MetricsAdded>,
    Check<typeof resolved, Resolved>,
    Check<typeof tagMove, TagMove>,
    Check<typeof tagHistoryPage, Page<TagEvent>>,
    Check<typeof lineageGraph, LineageGraph>,
    Check<typeof impact, Impact>,
  ]
>;
