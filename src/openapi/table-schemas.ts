/**
 * The table part of diff answers (src/contract/tables.ts) as zod schemas for the OpenAPI
 * document, pinned to the contract types at compile time like ./schemas.ts.
 */
import { z } from 'zod';
import type { TableDiff } from '../contract';
import type { Assert, Check } from './schemas';

export const tableSpec = z.object({ key: z.array(z.string()) });

const columnType = z.enum(['integer', 'number', 'boolean', 'string', 'empty']);
const bound = z.union([z.number(), z.string()]).nullable();
const columnStats = z.object({
  min: bound,
  max: bound,
  mean: z.number().nullable(),
  std: z.number().nullable(),
  distinct: z.number().int(),
});
const nullableText = z.string().nullable();
const count = z.number().int().nullable();

export const tableDiff = z
  .discriminatedUnion('state', [
    z.object({
      state: z.literal('ready'),
      key: z.array(z.string()).nullable(),
      rows: z.object({
        from: z.number().int(),
        to: z.number().int(),
        added: count,
        removed: count,
        changed: count,
      }),
      schema: z.object({
        added: z.array(z.object({ name: z.string(), type: columnType })),
        removed: z.array(z.object({ name: z.string(), type: columnType })),
        typeChanged: z.array(z.object({ name: z.string(), from: columnType, to: columnType })),
      }),
      columns: z.array(
        z.object({
          name: z.string(),
          changedRows: count,
          nulls: z.object({ from: z.number(), to: z.number() }),
          stats: z.object({ from: columnStats, to: columnStats }),
          drift: z
            .object({
              metric: z.literal('psi'),
              value: z.number(),
              level: z.enum(['none', 'moderate', 'major']),
            })
            .nullable(),
          histogram: z
            .object({ labels: z.array(z.string()), from: z.array(z.number()), to: z.array(z.number()) })
            .nullable(),
        }),
      ),
      samples: z.array(
        z.object({
          kind: z.enum(['added', 'removed', 'changed']),
          key: z.record(z.string(), nullableText).nullable(),
          changes: z.array(z.object({ column: z.string(), from: nullableText, to: nullableText })),
          values: z.record(z.string(), nullableText).nullable(),
        }),
      ),
    }),
    z.object({ state: z.literal('pending') }),
    z.object({ state: z.literal('failed'), side: z.enum(['from', 'to']), reason: z.string() }),
  ])
  .meta({ id: 'TableDiff' });

export type TableSchemasMatchTheContract = Assert<[Check<typeof tableDiff, TableDiff>]>;
