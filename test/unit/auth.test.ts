import { describe, expect, it } from 'vitest';
import { call, createToken, digestOf, errorCode, putBlob, randomBytes } from '../helpers/http';

describe('authentication and scopes', () => {
  it('no token → 401 with WWW-Authenticate; a bad token → 401 even on public reads', async () => {
    const digest = await digestOf(randomBytes(8));
    const res = await call(`/v1/blobs/${digest}`, { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(await errorCode(res)).toBe('UNAUTHORIZED');
    expect((await call(`/v1/blobs/${digest}`, { token: 'cairn_not-a-real-token' })).status).toBe(401);
    const malformed = await call('/v1/health', { token: null, headers: { Authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
  });

  it('HTTP Basic with the token as password (any user name) authenticates like Bearer', async () => {
    const { token } = await createToken(['read']);
    const basic = (user: string, pass: string) => ({ Authorization: `Basic ${btoa(`${user}:${pass}`)}` });
    expect(
      (await call('/v1/tokens', { token: null, headers: basic('anyone', 'test-admin-token') })).status,
    ).toBe(200);
    const asRead = await call('/v1/tokens', { token: null, headers: basic('git', token) });
    expect(asRead.status).toBe(403);
    expect((await call('/v1/health', { token: null, headers: basic('git', 'wrong') })).status).toBe(401);
    expect((await call('/v1/health', { token: null, headers: basic('git', '') })).status).toBe(401);
  });

  it('read tokens read but cannot write (403 DENIED, nothing stored)', async () => {
    const { token } = await createToken(['read']);
    const bytes = randomBytes(32);
    const denied = await putBlob(bytes, token);
    expect(denied.res.status).toBe(403);
    expect(await errorCode(denied.res)).toBe('DENIED');
    expect((await call(`/v1/blobs/${denied.digest}`, { method: 'HEAD' })).status).toBe(404);
    await putBlob(bytes);
    expect((await call(`/v1/blobs/${denied.digest}`, { token })).status).toBe(200);
    const check = await call('/v1/blobs/check', {
      method: 'POST',
      json: { digests: [denied.digest] },
      token,
    });
    expect(check.status).toBe(200);
  });

  it('write and promote imply read; admin implies everything', async () => {
    const { digest } = await putBlob(randomBytes(8));
    for (const scopes of [['write'], ['promote'], ['admin']]) {
      const { token } = await createToken(scopes);
      expect((await call(`/v1/blobs/${digest}`, { token, method: 'HEAD' })).status, scopes[0]).toBe(200);
    }
    const { token: promoteOnly } = await createToken(['promote']);
    expect((await putBlob(randomBytes(8), promoteOnly)).res.status).toBe(403);
  });

  it('every response carries a request id, echoed in error bodies', async () => {
    const res = await call('/v1/nope', { headers: { 'X-Request-Id': 'trace-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND', requestId: 'trace-123' } });
    const ok = await call('/v1/health');
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
