/** Types of openlineage-schema.mjs (shared by the unit tests in TypeScript and the e2e tests). */
export function openlineageValidator(
  schemaTexts: string[],
  cairnFacets: object,
): (event: unknown) => string[];
export function graphFromEvents(events: unknown[]): { nodes: Set<string>; edges: Set<string> };
