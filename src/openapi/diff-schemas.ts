/**
 * The diff and explain answers (src/contract/diff.ts) as zod schemas for the OpenAPI document,
 * pinned to their contract types at compile time like ./schemas.ts.
 */
import { z } from 'zod';
import type { Explanation, VersionDiff } from '../contract';
import { type Assert, type Check, code, digest, manifestFile, nullableDigest, timestamp } from './schemas';
import { tableDiff, tableSpec } from './table-schemas';

const valueChange = z.object({ key: z.string(), from: z.unknown(), to: z.unknown() });
const valuesDiff = z.object({
  changed: z.boolean(),
  added: z.array(valueChange),
  removed: z.array(valueChange),
  modified: z.array(valueChange),
});
const sized = z.object({ digest, size: z.number().int(), table: tableSpec.optional() });
const filesDiff = z.object({
  changed: z.boolean(),
  added: z.array(manifestFile),
  removed: z.array(manifestFile),
  modified: z.array(z.object({ path: z.string(), from: sized, to: sized, table: tableDiff.optional() })),
  counts: z.object({
    added: z.number().int(),
    removed: z.number().int(),
    modified: z.number().int(),
    unchanged: z.number().int(),
  }),
  truncated: z.boolean(),
});
const inputSide = z.object({
  ref: z.string(),
  digest,
  artifact: z.string().nullable(),
  version: z.number().int().nullable(),
});
type DataDiffShape = VersionDiff['data'];
const dataDiff: z.ZodType<DataDiffShape> = z
  .lazy(() =>
    z.object({
      changed: z.boolean(),
      inputs: z.array(
        z.object({
          role: z.string(),
          artifact: z.string().nullable(),
          status: z.enum(['added', 'removed', 'changed', 'unchanged']),
          from: inputSide.nullable(),
          to: inputSide.nullable(),
          files: filesDiff.optional(),
          upstream: dataDiff.optional(),
        }),
      ),
      summary: z.string().optional(),
    }),
  )
  .meta({ id: 'DataDiff' });
const nullableString = z.string().nullable();
const environmentDiff = z.object({
  changed: z.boolean(),
  lockfiles: z.array(
    z.object({
      path: z.string(),
      status: z.enum(['added', 'removed', 'modified', 'unchanged']),
      from: nullableString,
      to: nullableString,
      format: nullableString,
      packages: z
        .array(
          z.object({
            name: z.string(),
            change: z.enum(['added', 'removed', 'changed']),
            from: nullableString,
            to: nullableString,
          }),
        )
        .optional(),
      lines: z
        .object({ added: z.array(z.string()), removed: z.array(z.string()), truncated: z.boolean() })
        .optional(),
    }),
  ),
  image: z.object({ changed: z.boolean(), from: nullableString, to: nullableString }),
  runtime: valuesDiff,
});
const versionRef = z.object({ artifact: z.string(), version: z.number().int(), digest });
export const versionDiff = z.object({
  from: versionRef.nullable(),
  to: versionRef,
  changed: z.array(z.enum(['code', 'data', 'environment', 'params'])),
  code: z.object({
    changed: z.boolean(),
    fields: z.array(z.string()),
    from: code.nullable(),
    to: code.nullable(),
  }),
  data: dataDiff,
  environment: environmentDiff,
  params: valuesDiff,
  files: filesDiff,
  metrics: z.array(
    z.object({
      key: z.string(),
      from: z.number().nullable(),
      to: z.number().nullable(),
      delta: z.number().nullable(),
    }),
  ),
});
export const explanation = versionDiff.extend({
  move: z.object({
    from: nullableDigest,
    to: digest,
    at: timestamp,
    by: z.string(),
    reason: nullableString,
    attestations: z.array(digest).optional(),
  }),
});

export type DiffSchemasMatchTheContract = Assert<
  [Check<typeof versionDiff, VersionDiff>, Check<typeof explanation, Explanation>]
>;
