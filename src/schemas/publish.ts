/**
 * The body of POST /v1/artifacts/{ns}/{name}/versions (docs/API.md "Artifacts, versions and manifests").
 * Only `files` is required. The service's input type is inferred from this schema.
 */
import { z } from 'zod';
import { SEGMENT, SEGMENT_RE } from '../contract/grammar';
import { KINDS } from '../db/schema';
import { digestSchema, pathSchema, refSchema, settableTagSchema } from '../validation';

/** Documented limits (README): keep a manifest parseable inside a Worker's 128 MB. */
const MAX_FILES_PER_VERSION = 100_000;
const MAX_INPUTS_PER_VERSION = 100;
const MAX_LOCKFILES = 50;
const MAX_TAGS_PER_PUBLISH = 20;

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string().max(10_000),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue).max(1000),
    z.record(z.string().max(256), jsonValue),
  ]),
);
// Its name in the OpenAPI document (it is recursive, so it becomes a component).
z.globalRegistry.add(jsonValue, { id: 'JsonValue' });

const shortString = z.string().min(1).max(2048);

export const publishSchema = z.object({
  kind: z.enum(KINDS).default('other'),
  files: z
    .array(
      z.object({
        path: pathSchema,
        digest: digestSchema,
        size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        /** Tabular files: the columns that identify a row (docs/API.md "Table diffs"). */
        table: z
          .object({ key: z.array(z.string().min(1).max(256)).min(1).max(16) })
          .strict()
          .refine((t) => new Set(t.key).size === t.key.length, 'key columns are distinct')
          .optional(),
      }),
    )
    .max(MAX_FILES_PER_VERSION),
  inputs: z
    .array(
      z.object({
        ref: refSchema,
        role: z.string().regex(SEGMENT_RE, `roles are lowercase ${SEGMENT}`).default('input'),
      }),
    )
    .max(MAX_INPUTS_PER_VERSION)
    .default([]),
  code: z
    .object({
      repo: shortString.optional(),
      commit: z
        .string()
        .regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'commit is a full 40- or 64-character lowercase hex id')
        .optional(),
      path: shortString.optional(),
      dirty: z.boolean().optional(),
    })
    .strict()
    .optional(),
  environment: z
    .object({
      lockfiles: z
        .array(z.object({ path: pathSchema, digest: digestSchema }))
        .max(MAX_LOCKFILES)
        .optional(),
      image: shortString.optional(),
      runtime: z.record(z.string().min(1).max(64), z.string().max(256)).optional(),
    })
    .strict()
    .optional(),
  params: z.record(z.string().max(256), jsonValue).optional(),
  metrics: z.record(z.string().min(1).max(256), z.number()).optional(),
  labels: z.record(z.string().min(1).max(256), z.string().max(1024)).optional(),
  tags: z.array(settableTagSchema).max(MAX_TAGS_PER_PUBLISH).default([]),
});

export type PublishInput = z.infer<typeof publishSchema>;
