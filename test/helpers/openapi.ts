/**
 * Test helpers for the OpenAPI document: fetch it from the real route, walk its operations, and
 * check real answers against it.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { OpenAPIV3_1 } from 'openapi-types';
import { call } from './http';

export type Doc = OpenAPIV3_1.Document;
export type Op = OpenAPIV3_1.OperationObject;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export async function fetchDocument(): Promise<Doc> {
  const res = await call('/v1/openapi.json', { token: null });
  if (res.status !== 200) throw new Error(`GET /v1/openapi.json: ${res.status} ${await res.text()}`);
  return (await res.json()) as Doc;
}

/** Every operation: `{ method: 'GET', path: '/v1/blobs/{digest}', op }`. */
export function operationsOf(doc: Doc): { method: string; path: string; op: Op }[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item?.[m] ? [{ method: m.toUpperCase(), path, op: item[m] as Op }] : [])),
  );
}

type Schema = Record<string, unknown>;

/**
 * Checks real answers against the document: the status must be one the operation declares, the
 * Content-Type one of that answer's media types, and a JSON body must validate (ajv, JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1). Problems are collected, not thrown, so one run lists
 * them all; `answered` records which operations were exercised with which statuses.
 */
export class Conformance {
  readonly problems: string[] = [];
  readonly answered = new Map<string, Set<number>>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly compiled = new Map<unknown, ValidateFunction>();

  constructor(readonly doc: Doc) {}

  private operation(key: string): Op | undefined {
    const [method = '', path = ''] = key.split(' ');
    return (this.doc.paths?.[path] as Record<string, Op> | undefined)?.[method.toLowerCase()];
  }

  private validator(schema: unknown): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      // Component references become local `$defs`, so each schema compiles on its own.
      const local = (value: unknown) =>
        JSON.parse(JSON.stringify(value).replaceAll('#/components/schemas/', '#/$defs/')) as Schema;
      validate = this.ajv.compile({ ...local(schema), $defs: local(this.doc.components?.schemas ?? {}) });
      this.compiled.set(schema, validate);
    }
    return validate;
  }

  /** Checks `res` as an answer of `key` (`GET /v1/blobs/{digest}`); returns the response. */
  async check(key: string, res: Response): Promise<Response> {
    const op = this.operation(key);
    const where = `${key} → ${res.status}`;
    if (!op) {
      this.problems.push(`${where}: no such operation in the document`);
      return res;
    }
    this.answered.set(key, (this.answered.get(key) ?? new Set()).add(res.status));
    const answer = op.responses?.[String(res.status)] as OpenAPIV3_1.ResponseObject | undefined;
    const bytes = new Uint8Array(await res.clone().arrayBuffer());
    const text = () => new TextDecoder().decode(bytes);
    if (!answer) {
      this.problems.push(`${where}: status not documented (${text().slice(0, 200)})`);
      return res;
    }
    if (bytes.byteLength === 0) {
      if (answer.content && res.status < 300 && res.status !== 204)
        this.problems.push(`${where}: empty body, documented ${Object.keys(answer.content)}`);
      return res;
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const media = answer.content?.[type];
    if (!media) {
      this.problems.push(
        `${where}: Content-Type ${type} not documented (${Object.keys(answer.content ?? {})})`,
      );
      return res;
    }
    if (/^application\/([\w.-]+\+)?json$/.test(type) && media.schema) {
      const validate = this.validator(media.schema);
      if (!validate(JSON.parse(text())))
        this.problems.push(`${where}: body does not match: ${this.ajv.errorsText(validate.errors)}`);
    }
    return res;
  }
}
