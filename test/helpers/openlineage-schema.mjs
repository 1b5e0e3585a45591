/**
 * Validates OpenLineage events against the vendored official schemas (test/fixtures/openlineage,
 * JSON Schema 2020-12, with ajv and ajv-formats: `uuid`, `date-time` and `uri` are checked), used
 * by the workerd unit tests and the e2e test alike. Every facet is also checked against the
 * schema its `_schemaURL` names: the vendored standard facet schemas, or Cairn's own
 * (GET /v1/openlineage/facets.json, passed in). A facet whose schema is unknown is an error.
 */

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const RUN_EVENT = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** `schemaTexts`: the vendored files' text; `cairnFacets`: the served custom-facet schema. */
export function openlineageValidator(schemaTexts, cairnFacets) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const text of schemaTexts) ajv.addSchema(JSON.parse(text));
  ajv.addSchema(cairnFacets);
  const runEvent = ajv.getSchema(RUN_EVENT);
  if (!runEvent) throw new Error('the vendored OpenLineage.json has no RunEvent');

  function facetErrors(where, facets) {
    const errors = [];
    for (const [name, facet] of Object.entries(facets ?? {})) {
      const validate = ajv.getSchema(facet?._schemaURL ?? '');
      if (!validate) errors.push(`${where}.${name}: no schema for ${facet?._schemaURL}`);
      else if (!validate(facet)) errors.push(`${where}.${name}: ${ajv.errorsText(validate.errors)}`);
    }
    return errors;
  }

  /** The problems with one event ([] when it is valid). */
  return function validateEvent(event) {
    const errors = runEvent(event) ? [] : [`RunEvent: ${ajv.errorsText(runEvent.errors)}`];
    errors.push(
      ...facetErrors('run.facets', event.run?.facets),
      ...facetErrors('job.facets', event.job?.facets),
    );
    for (const [list, items] of [
      ['inputs', event.inputs ?? []],
      ['outputs', event.outputs ?? []],
    ]) {
      items.forEach((d, i) => {
        errors.push(...facetErrors(`${list}[${i}].facets`, d.facets));
        errors.push(...facetErrors(`${list}[${i}].inputFacets`, d.inputFacets));
        errors.push(...facetErrors(`${list}[${i}].outputFacets`, d.outputFacets));
      });
    }
    return errors;
  };
}

/**
 * The lineage graph the publish events describe: nodes are output versions (by digest), edges
 * input → output with the input's role. Tag-move events have no output and add nothing.
 */
export function graphFromEvents(events) {
  const nodes = new Set();
  const edges = new Set();
  for (const event of events) {
    for (const output of event.outputs ?? []) {
      const to = output.facets.version.datasetVersion;
      nodes.add(to);
      for (const input of event.inputs ?? []) {
        edges.add(`${input.facets.version.datasetVersion} -> ${to} (${input.inputFacets.cairn_input.role})`);
      }
    }
  }
  return { nodes, edges };
}
