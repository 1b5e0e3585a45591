/**
 * The OCI error renderer (src/routes/oci/errors.ts): one table (Cairn's), one more dialect. Every
 * Cairn code has an OCI answer among the spec's codes (distribution-spec "Error Codes"; the
 * conformance suite's 07_error_codes_test.go checks bodies are `{"errors":[{code,message,detail}]}`).
 */
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, type ErrorCode } from '../../src/contract/errors';
import { ApiError } from '../../src/errors';
import { contextOf, ociCodeOf, ociErrorBody, ociStatusOf } from '../../src/routes/oci/errors';
import { digestOf } from '../helpers/http';
import { oci } from '../helpers/oci';
import { uniqueName } from '../helpers/registry';

const SPEC_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
];

describe('the OCI error renderer', () => {
  it('maps every Cairn code, in every context, to one of the spec codes', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
      for (const context of ['manifest', 'upload', 'blob', 'other'] as const) {
        expect(SPEC_CODES, `${code} in ${context}`).toContain(ociCodeOf(code, context));
      }
    }
  });

  it('reads the context from the path', () => {
    expect(contextOf('/v2/a/b/manifests/latest')).toBe('manifest');
    expect(contextOf('/v2/a/b/blobs/uploads/oci_x')).toBe('upload');
    expect(contextOf('/v2/a/b/blobs/uploads/')).toBe('upload');
    expect(contextOf('/v2/a/b/blobs/sha256:00')).toBe('blob');
    expect(contextOf('/v2/a/b/tags/list')).toBe('other');
  });

  it('a missing blob behind a manifest is MANIFEST_BLOB_UNKNOWN with 400 (OCI has no 422), an expired upload is unknown (404)', () => {
    const missing = new ApiError('BLOB_UNKNOWN', 'x', { missing: [] }, { status: 422 });
    expect(ociErrorBody(missing, '/v2/a/b/manifests/t').errors[0]?.code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(ociStatusOf(missing)).toBe(400);
    expect(ociStatusOf(new ApiError('UPLOAD_EXPIRED', 'x'))).toBe(404);
    expect(ociStatusOf(new ApiError('RATE_LIMITED', 'x'))).toBe(429);
  });

  it('bodies are {"errors":[{code,message,detail}]} with the Cairn code and request id in detail', async () => {
    const res = await oci(`/v2/${uniqueName()}/manifests/${await digestOf('none')}`, {
      headers: { 'X-Request-Id': 'req-oci-1' },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      errors: [
        {
          code: 'MANIFEST_UNKNOWN',
          message: expect.any(String),
          detail: expect.objectContaining({ cairnCode: 'VERSION_UNKNOWN', requestId: 'req-oci-1' }),
        },
      ],
    });
  });

  it('anonymous writes → 401 UNAUTHORIZED with the challenge, on every write route', async () => {
    const repo = uniqueName();
    const digest = await digestOf('x');
    for (const [method, path] of [
      ['PUT', `/v2/${repo}/manifests/latest`],
      ['DELETE', `/v2/${repo}/manifests/latest`],
      ['POST', `/v2/${repo}/blobs/uploads/`],
      ['PATCH', `/v2/${repo}/blobs/uploads/oci_abc`],
      ['PUT', `/v2/${repo}/blobs/uploads/oci_abc?digest=${digest}`],
      ['DELETE', `/v2/${repo}/blobs/uploads/oci_abc`],
    ] as const) {
      const res = await oci(path, { method, token: null, body: method === 'DELETE' ? null : '{}' });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="cairn"');
    }
  });

  it("an unknown /v2 route → 404 in the OCI shape, never Cairn's", async () => {
    const res = await oci('/v2/_no-such-route');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });
});
