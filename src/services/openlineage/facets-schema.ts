/**
 * JSON Schema (2020-12) of Cairn's custom OpenLineage facets, served at
 * GET /v1/openlineage/facets.json: each facet's `_schemaURL` points at its `$defs` entry here, as
 * the OpenLineage custom-facet convention asks. Tests validate emitted facets against it.
 */
const BASE = { $ref: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/BaseFacet' };
const digest = { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' };

function facet(description: string, properties: Record<string, unknown>, required: string[]) {
  return {
    description,
    allOf: [BASE, { type: 'object', properties, required }],
    type: 'object',
  };
}

export function facetsSchema(id: string) {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: id,
    $defs: {
      CairnPublishRunFacet: facet('Who published the version.', { publishedBy: { type: 'string' } }, [
        'publishedBy',
      ]),
      CairnParamsRunFacet: facet(
        "The version's params as published (JSON values; executionParameters has them as strings). " +
          '`params` is null and `truncated` true when the event would exceed 1 MB.',
        { params: { type: ['object', 'null'] }, truncated: { type: 'boolean' } },
        ['params'],
      ),
      CairnCodeRunFacet: facet(
        'The code as the publisher recorded it.',
        {
          repo: { type: 'string' },
          commit: { type: 'string', pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' },
          path: { type: 'string' },
          dirty: { type: 'boolean' },
        },
        [],
      ),
      CairnEnvironmentRunFacet: facet(
        'The lockfiles (by digest), image and runtime the version was produced with.',
        {
          lockfiles: {
            type: 'array',
            items: {
              type: 'object',
              properties: { path: { type: 'string' }, digest },
              required: ['path', 'digest'],
            },
          },
          image: { type: 'string' },
          runtime: { type: 'object', additionalProperties: { type: 'string' } },
        },
        ['lockfiles'],
      ),
      CairnInputDatasetFacet: facet(
        'How the publisher named the input: its role and the ref as written (resolved to the version facet).',
        { role: { type: 'string' }, ref: { type: 'string' } },
        ['role', 'ref'],
      ),
      CairnVersionDatasetFacet: facet(
        "The version's number within its artifact, and the artifact's kind.",
        { number: { type: 'integer', minimum: 1 }, kind: { enum: ['dataset', 'model', 'other'] } },
        ['number', 'kind'],
      ),
      CairnTagMoveRunFacet: facet(
        'A tag move: `from` null when the tag is new, `to` null when it was deleted.',
        {
          artifact: { type: 'string' },
          tag: { type: 'string' },
          from: { anyOf: [digest, { type: 'null' }] },
          to: { anyOf: [digest, { type: 'null' }] },
          by: { type: 'string' },
          reason: { type: ['string', 'null'] },
        },
        ['artifact', 'tag', 'from', 'to', 'by', 'reason'],
      ),
    },
  };
}
