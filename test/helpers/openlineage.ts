/** OpenLineage test helpers (workerd): the schema validator over the vendored files, the feed. */

import DatasetVersion from '../fixtures/openlineage/DatasetVersionDatasetFacet.json?raw';
import ExecutionParameters from '../fixtures/openlineage/ExecutionParametersRunFacet.json?raw';
import JobType from '../fixtures/openlineage/JobTypeJobFacet.json?raw';
import OpenLineage from '../fixtures/openlineage/OpenLineage.json?raw';
import SourceCodeLocation from '../fixtures/openlineage/SourceCodeLocationJobFacet.json?raw';
import { call } from './http';
import { openlineageValidator } from './openlineage-schema.mjs';

export const VENDORED_SCHEMAS = [
  OpenLineage,
  DatasetVersion,
  ExecutionParameters,
  JobType,
  SourceCodeLocation,
];

// biome-ignore lint/suspicious/noExplicitAny: events are checked by the schema, then read freely
export type OLEvent = any;

let validator: ((event: unknown) => string[]) | undefined;

/** The problems with `event` against the official schema and the facet schemas ([] if valid). */
export async function eventProblems(event: unknown): Promise<string[]> {
  if (!validator) {
    const res = await call('/v1/openlineage/facets.json', { token: null });
    validator = openlineageValidator(VENDORED_SCHEMAS, await res.json());
  }
  return validator(event);
}

/** Every event the token can see after `after`, following nextCursor to the end. */
export async function readFeed(
  opts: { token?: string | null; after?: string; limit?: number } = {},
): Promise<{ events: OLEvent[]; pages: number }> {
  const events: OLEvent[] = [];
  let after = opts.after;
  let pages = 0;
  for (;;) {
    const q = new URLSearchParams({ limit: String(opts.limit ?? 500), ...(after ? { after } : {}) });
    const res = await call(`/v1/openlineage/events?${q}`, { token: opts.token });
    if (res.status !== 200) throw new Error(`feed: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { items: OLEvent[]; nextCursor: string | null };
    pages += 1;
    events.push(...page.items);
    if (!page.nextCursor) return { events, pages };
    after = page.nextCursor;
  }
}

/** The output artifact of a publish event, or the artifact of a tag move. */
export function artifactOf(event: OLEvent): string {
  return event.outputs[0]?.name ?? event.run.facets.cairn_tagMove.artifact;
}
