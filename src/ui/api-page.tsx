/**
 * `/ui/api`: the API reference, rendered on the server from the very document `GET
 * /v1/openapi.json` serves (routes/openapi.ts), so the page and the JSON cannot disagree. No
 * script, no CDN: operations grouped by resource, each with its scope, parameters, request body
 * and answers; schemas are summarised one level deep (the JSON has them whole).
 */
import type { Context } from 'hono';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { SCOPE_EXTENSION } from '../openapi/describe';
import { Facts, Table } from './components';
import { page } from './layout';

type Schema = OpenAPIV3_1.SchemaObject | OpenAPIV3_1.ReferenceObject;
type Operation = OpenAPIV3_1.OperationObject & { [SCOPE_EXTENSION]?: string };
interface Entry {
  method: string;
  path: string;
  op: Operation;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
export const OPENAPI_JSON = '/v1/openapi.json';

/** The document's prose: plain text with `code` spans (the only markup it uses). */
function Prose({ text }: { text: string | undefined }) {
  return <>{(text ?? '').split('`').map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>;
}

/** A short type: `string`, `integer | null`, `Manifest`, `string[]`, `"up" | "down"`, `object`. */
export function typeLabel(schema: Schema | undefined): string {
  if (!schema) return 'any';
  if ('$ref' in schema) return schema.$ref.split('/').pop() ?? 'object';
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => typeLabel(s as Schema)).join(' | ');
  if (schema.allOf) return typeLabel(schema.allOf[0] as Schema);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes('array' as never)) return `${typeLabel((schema as { items?: Schema }).items)}[]`;
  return types.length > 0 ? types.join(' | ') : 'any';
}

/** The top-level fields of an object schema (through `allOf`), for a one-level summary. */
function fields(schema: Schema | undefined): [string, Schema, boolean][] {
  if (!schema || '$ref' in schema) return [];
  if (schema.allOf) return schema.allOf.flatMap((s) => fields(s as Schema));
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([k, v]) => [k, v as Schema, required.has(k)]);
}

function Fields({ schema }: { schema: Schema | undefined }) {
  const list = fields(schema);
  if (list.length === 0) return <code>{typeLabel(schema)}</code>;
  return (
    <ul class="plain">
      {list.map(([name, s, required]) => (
        <li>
          <code>{name}</code>
          {required ? '' : '?'}: <code>{typeLabel(s)}</code>
        </li>
      ))}
    </ul>
  );
}

function Parameters({ op }: { op: Operation }) {
  const params = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
  if (params.length === 0) return null;
  return (
    <Table head={['parameter', 'in', 'type', 'rule']}>
      {params.map((p) => (
        <tr>
          <td>
            <code>{p.name}</code>
            {p.required ? '' : '?'}
          </td>
          <td>{p.in}</td>
          <td>
            <code>{typeLabel(p.schema as Schema)}</code>
          </td>
          <td>{p.description ?? ((p.schema as OpenAPIV3_1.SchemaObject)?.pattern || '')}</td>
        </tr>
      ))}
    </Table>
  );
}

function Body({ op }: { op: Operation }) {
  const body = op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
  if (!body) return null;
  return (
    <>
      {Object.entries(body.content).map(([media, { schema }]) => (
        <Facts items={[[`body (${media})`, <Fields schema={schema as Schema} />]]} />
      ))}
    </>
  );
}

function Responses({ op }: { op: Operation }) {
  return (
    <Table head={['status', 'answer', 'body']} numeric={['status']}>
      {Object.entries(op.responses ?? {}).map(([status, r]) => {
        const response = r as OpenAPIV3_1.ResponseObject;
        const content = Object.entries(response.content ?? {});
        return (
          <tr>
            <td class="num">{status}</td>
            <td>
              <Prose text={response.description} />
            </td>
            <td>
              {content.map(([media, { schema }]) =>
                status.startsWith('2') ? (
                  <>
                    <span class="muted">{media}</span>
                    <Fields schema={schema as Schema} />
                  </>
                ) : (
                  <span class="muted">{media === 'application/json' ? 'Error' : media}</span>
                ),
              )}
            </td>
          </tr>
        );
      })}
    </Table>
  );
}

function OperationView({ method, path, op }: Entry) {
  const scope = op[SCOPE_EXTENSION];
  return (
    <section class="op" id={op.operationId}>
      <h3>
        <span class="chip">{method}</span> <code>{path}</code>
      </h3>
      <p>
        <Prose text={op.summary} />
      </p>
      {op.description ? (
        <p class="muted">
          <Prose text={op.description} />
        </p>
      ) : null}
      <Facts
        items={[
          ['token', scope ? scope === 'any' ? 'any valid token' : <code>{scope}</code> : 'none needed'],
          ['operationId', <code>{op.operationId}</code>],
        ]}
      />
      <Parameters op={op} />
      <Body op={op} />
      <Responses op={op} />
    </section>
  );
}

/** Operations grouped by their resource (name, operations, description), in the document's tag order. */
function byResource(doc: OpenAPIV3_1.Document): [string, Entry[], string | undefined][] {
  const entries: Entry[] = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item?.[m] ? [{ method: m.toUpperCase(), path, op: item[m] as Operation }] : [])),
  );
  return (doc.tags ?? []).map((t): [string, Entry[], string | undefined] => [
    t.name,
    entries.filter((e) => e.op.tags?.[0] === t.name),
    t.description,
  ]);
}

export async function apiReferencePage(c: Context<AppEnv>) {
  const source = c.var.openApi;
  if (!source) throw new ApiError('INTERNAL_ERROR', 'the OpenAPI document is not wired into this app');
  const { document } = await source();
  const groups = byResource(document).filter(([, ops]) => ops.length > 0);
  return page(
    c,
    'API reference',
    <>
      <h1>API reference</h1>
      <p>
        {document.info.title} {document.info.version}, described as OpenAPI {document.openapi}:{' '}
        <a href={OPENAPI_JSON}>
          <code>{OPENAPI_JSON}</code>
        </a>{' '}
        (public; feed it to a client generator). Send <code>Authorization: Bearer &lt;token&gt;</code>; the
        token's scope is named on each operation. Errors answer{' '}
        <code>{'{"error":{"code","message","details"?,"requestId"?}}'}</code>.
      </p>
      <nav aria-label="resources">
        <ul class="plain">
          {groups.map(([name, ops]) => (
            <li>
              <strong>{name}</strong>:{' '}
              {ops.map((e, i) => (
                <>
                  {i > 0 ? ', ' : ''}
                  <a href={`#${e.op.operationId}`}>
                    {e.method} {e.path}
                  </a>
                </>
              ))}
            </li>
          ))}
        </ul>
      </nav>
      {groups.map(([name, ops, description]) => (
        <>
          <h2 id={`resource-${name.toLowerCase()}`}>{name}</h2>
          {description ? (
            <p class="muted">
              <Prose text={description} />
            </p>
          ) : null}
          {ops.map((e) => (
            <OperationView {...e} />
          ))}
        </>
      ))}
    </>,
  );
}
