/**
 * in-toto Statement v1 (github.com/in-toto/attestation spec/v1): `_type`, `subject` (resource
 * descriptors naming what the statement is about by digest), `predicateType`, `predicate`.
 * Serialised as canonical JSON (RFC 8785) so the same statement is always the same bytes.
 */
import canonicalize from 'canonicalize';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: ResourceDescriptor[];
  predicateType: string;
  predicate: P;
}

export function encodeStatement(statement: Statement): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(canonicalize(statement) ?? '') as Uint8Array<ArrayBuffer>;
}
