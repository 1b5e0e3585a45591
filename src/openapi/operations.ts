/**
 * What the OpenAPI document says about each route that the code cannot: a summary, the resource
 * it belongs to, its answers (with their schemas from ./schemas.ts) and the error codes it may
 * answer besides the ones every route shares (see ./document.ts). Parameters, request bodies and
 * scopes are NOT here: they come from the route's own `validate()` and `requireScope()`.
 *
 * Describing a new route: add an entry keyed `METHOD /path` exactly as `createApp().routes`
 * lists it (`:param`, a `*` tail named by `wildcard`) to the table of its resource
 * (./operations-core.ts, ./operations-artifacts.ts, or a new table merged below; entry shape:
 * ./operation.ts). test/unit/openapi.test.ts fails until every served /v1 route has one, and
 * test/unit/openapi-responses.test.ts fails when a real answer has a status or shape the entry
 * does not declare (or when no call in its scenario exercises the operation).
 */
import { ARTIFACT_OPERATIONS } from './operations-artifacts';
import { CHUNK_OPERATIONS } from './operations-chunks';
import { CORE_OPERATIONS } from './operations-core';
import { OPENLINEAGE_OPERATIONS } from './operations-openlineage';
import { PROVENANCE_OPERATIONS } from './operations-provenance';

/** Every operation the document describes, keyed `METHOD /path` as `createApp().routes` lists it. */
export const OPERATIONS = {
  ...CORE_OPERATIONS,
  ...ARTIFACT_OPERATIONS,
  ...PROVENANCE_OPERATIONS,
  ...OPENLINEAGE_OPERATIONS,
  ...CHUNK_OPERATIONS,
};
