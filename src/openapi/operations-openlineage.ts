/**
 * OpenAPI operation table (see ./operations.ts): the OpenLineage feed, delivery log and custom
 * facet schema. An event is an OpenLineage RunEvent (spec 2-0-2): its frame is described here,
 * its facets are open (the OpenLineage schema and GET /v1/openlineage/facets.json define them).
 */
import { z } from 'zod';
import { OPENLINEAGE_STATUSES } from '../db/schema';
import type { Operation } from './operation';
import { timestamp } from './schemas';

const facets = z.record(z.string(), z.looseObject({ _producer: z.string(), _schemaURL: z.string() }));
const dataset = z.looseObject({ namespace: z.string(), name: z.string(), facets: facets.optional() });

export const openlineageEvent = z
  .looseObject({
    eventType: z.literal('COMPLETE'),
    eventTime: timestamp,
    producer: z.string(),
    schemaURL: z.string(),
    run: z.looseObject({ runId: z.string(), facets: facets.optional() }),
    job: z.looseObject({ namespace: z.string(), name: z.string(), facets: facets.optional() }),
    inputs: z.array(dataset),
    outputs: z.array(dataset),
  })
  .meta({
    id: 'OpenLineageRunEvent',
    description: 'An OpenLineage RunEvent (https://openlineage.io/spec/2-0-2/OpenLineage.json)',
  });

const eventPage = z.object({ items: z.array(openlineageEvent), nextCursor: z.string().nullable() });
const deliveryPage = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      kind: z.enum(['publish', 'tag']),
      status: z.enum(OPENLINEAGE_STATUSES),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      createdAt: timestamp,
      lastAttemptAt: timestamp.nullable(),
      deliveredAt: timestamp.nullable(),
      event: openlineageEvent,
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const OPENLINEAGE_OPERATIONS: Record<string, Operation> = {
  'GET /v1/openlineage/events': {
    resource: 'Lineage',
    summary: 'OpenLineage events of every publish and tag move, oldest first (`after` a cursor)',
    description:
      'A namespace-limited token sees an event only if it may read every namespace the event names. README "OpenLineage".',
    answers: { 200: { description: 'One page of events', schema: eventPage } },
    errors: [],
  },
  'GET /v1/openlineage/deliveries': {
    resource: 'Admin',
    summary: 'Push delivery of each OpenLineage event to OPENLINEAGE_URL; `status=dead`: the dead letters',
    answers: { 200: { description: 'One page of deliveries', schema: deliveryPage } },
    errors: [],
  },
  'GET /v1/openlineage/facets.json': {
    resource: 'Lineage',
    summary: "JSON Schema of Cairn's custom OpenLineage facets (`cairn_*`)",
    answers: {
      200: {
        description: 'The JSON Schema',
        schema: z.looseObject({ $schema: z.string(), $id: z.string() }),
      },
    },
    errors: [],
  },
};
