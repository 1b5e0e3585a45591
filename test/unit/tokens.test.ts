import { describe, expect, it } from 'vitest';
import { call, createToken, errorCode, putBlob, randomBytes, testEnv } from '../helpers/http';

describe('/v1/tokens', () => {
  it('admin issues a token shown once; only its hash is stored', async () => {
    const res = await call('/v1/tokens', {
      method: 'POST',
      json: { name: 'ci', scopes: ['write'], namespaces: ['acme'] },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'ci', scopes: ['write'], namespaces: ['acme'], expiresAt: null });
    expect(body.token).toMatch(/^cairn_[\w-]{43}$/);
    const stored = await testEnv.DB.prepare('select * from tokens where id = ?').bind(body.id).first();
    expect(JSON.stringify(stored)).not.toContain(body.token as string);

    const list = (await (await call('/v1/tokens?limit=500')).json()) as { items: Record<string, unknown>[] };
    const listed = list.items.find((t) => t.id === body.id);
    expect(listed).toMatchObject({ name: 'ci', scopes: ['write'] });
    expect(JSON.stringify(list)).not.toContain(body.token as string);
  });

  it('an issued token authenticates with its scopes; a revoked one is refused at once', async () => {
    const { id, token } = await createToken(['write']);
    expect((await putBlob(randomBytes(16), token)).res.status).toBe(201);
    expect((await call(`/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await putBlob(randomBytes(16), token);
    expect(after.res.status).toBe(401);
    expect((await call(`/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('an expired token → 401', async () => {
    const { id, token } = await createToken(['read'], {
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect((await call('/v1/health', { token })).status).toBe(200);
    await testEnv.DB.prepare('update tokens set expires_at = ? where id = ?')
      .bind(Date.now() - 1, id)
      .run();
    const res = await call(`/v1/blobs/sha256:${'0'.repeat(64)}`, { token });
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toMatchObject({
      error: { code: 'UNAUTHORIZED', message: /expired/ },
    });
  });

  it('bad token requests → 400 with the field named', async () => {
    const cases = [
      {},
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['root'] },
      { name: '', scopes: ['read'] },
      { name: 'x', scopes: ['read'], expiresAt: 'tomorrow' },
      { name: 'x', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' },
    ];
    for (const json of cases) {
      const res = await call('/v1/tokens', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    const ns = await call('/v1/tokens', {
      method: 'POST',
      json: { name: 'x', scopes: ['read'], namespaces: ['Bad NS'] },
    });
    expect(await errorCode(ns)).toBe('NAME_INVALID');
  });

  it('token routes need admin: 401 anonymous, 403 for write tokens', async () => {
    expect((await call('/v1/tokens', { token: null })).status).toBe(401);
    const { token } = await createToken(['write', 'promote']);
    const res = await call('/v1/tokens', { token });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('DENIED');
  });

  it('lists paginate with a cursor and no duplicates', async () => {
    for (let i = 0; i < 5; i++) await createToken(['read']);
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = (await (await call(`/v1/tokens?limit=2${q}`)).json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const t of page.items) {
        expect(seen.has(t.id)).toBe(false);
        seen.add(t.id);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen.size).toBeGreaterThanOrEqual(5);
    expect(await errorCode(await call('/v1/tokens?cursor=%%%'))).toBe('BAD_REQUEST');
    expect(await errorCode(await call('/v1/tokens?limit=501'))).toBe('BAD_REQUEST');
  });
});
