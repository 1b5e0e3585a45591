/**
 * The audit log (every write, every denied attempt; never a secret), failed-auth throttling and
 * request-size limits.
 */
import { describe, expect, it } from 'vitest';
import { type AuditView, pruneAudit } from '../../src/services/audit';
import {
  ADMIN,
  call,
  createToken,
  errorCode,
  putBlob,
  randomBytes,
  testDeps,
  testEnv,
} from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';

type AuditItem = AuditView;

async function auditFor(query: string): Promise<AuditItem[]> {
  const res = await call(`/v1/audit?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: AuditItem[] }).items;
}

/** A client address of its own, so throttling counters never mix between tests. */
const freshIp = () => `198.51.100.${Math.floor(Math.random() * 250)}-${crypto.randomUUID().slice(0, 8)}`;

describe('GET /v1/audit', () => {
  it('records writes with actor, action, artifact, request id and outcome; reads are not recorded', async () => {
    const { id, token } = await createToken(['write']);
    const name = uniqueName();
    const f = await storedFile('a.csv');
    const res = await call(`/v1/artifacts/${name}/versions`, {
      method: 'POST',
      json: { kind: 'dataset', files: [f] },
      token,
      headers: { 'X-Request-Id': `audit-${id}` },
    });
    expect(res.status).toBe(201);
    await call(`/v1/artifacts/${name}/versions`, { token }); // a read: not audited
    const failed = await call(`/v1/artifacts/${name}/versions`, {
      method: 'POST',
      json: { kind: 'model', files: [f] },
      token,
    });
    expect(failed.status).toBe(409);

    const items = await auditFor(`artifact=${name}`);
    expect(items.map((i) => [i.method, i.status, i.outcome, i.code])).toEqual([
      ['POST', 409, 'failed', 'KIND_CONFLICT'],
      ['POST', 201, 'ok', null],
    ]);
    const ok = items[1]!;
    expect(ok).toMatchObject({
      requestId: `audit-${id}`,
      actorId: id,
      actor: `t-write (${id})`,
      path: `/v1/artifacts/${name}/versions`,
      action: 'POST /v1/artifacts/:ns/:name/versions',
      artifact: name,
    });
    expect(Date.parse(ok.at)).toBeGreaterThan(Date.now() - 60_000);
    expect((await auditFor(`actor=${id}`)).map((i) => i.artifact)).toEqual([name, name]);
  });

  it('records denied attempts (403, 401) and never a token', async () => {
    const { id, token } = await createToken(['read']);
    const digest = (await putBlob(randomBytes(16), token)).digest;
    const bogus = `cairn_bogus_${crypto.randomUUID()}`;
    const ip = freshIp();
    const unauth = await call(`/v1/blobs/${digest}`, { token: bogus, headers: { 'CF-Connecting-IP': ip } });
    expect(unauth.status).toBe(401);

    const denied = await auditFor(`actor=${id}&outcome=denied`);
    expect(denied[0]).toMatchObject({
      method: 'PUT',
      status: 403,
      action: 'PUT /v1/blobs/:digest',
      code: 'DENIED',
    });
    const anonymous = (await auditFor('outcome=denied&limit=200')).find((i) => i.ip === ip);
    expect(anonymous).toMatchObject({
      actor: 'unauthenticated',
      actorId: null,
      status: 401,
      method: 'GET',
      code: 'UNAUTHORIZED',
    });
    const everything = JSON.stringify(await auditFor('limit=500'));
    expect(everything).not.toContain(bogus);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(ADMIN);
  });

  it('is for admins only, paginates, and validates its filters', async () => {
    const { token } = await createToken(['write', 'promote']);
    expect((await call('/v1/audit', { token })).status).toBe(403);
    expect((await call('/v1/audit', { token: null })).status).toBe(401);
    const page1 = await call('/v1/audit?limit=2');
    const body1 = (await page1.json()) as { items: AuditItem[]; nextCursor: string };
    expect(body1.items).toHaveLength(2);
    const page2 = (await (await call(`/v1/audit?limit=2&cursor=${body1.nextCursor}`)).json()) as {
      items: AuditItem[];
    };
    expect(page2.items[0]!.id).toBeLessThan(body1.items[1]!.id);
    for (const bad of ['artifact=nope', 'outcome=maybe', 'limit=0', 'cursor=%%%']) {
      expect((await call(`/v1/audit?${bad}`)).status, bad).toBe(400);
    }
  });
});

describe('audit retention', () => {
  it('the cron drops events older than AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const old = Date.now() - 400 * 86_400_000;
    const requestId = `old-${crypto.randomUUID()}`;
    await testEnv.DB.prepare(
      `INSERT INTO audit_events (at, request_id, actor_id, actor, method, path, action, status, outcome)
       VALUES (?1, ?2, 'admin', 'admin', 'POST', '/v1/tokens', 'POST /v1/tokens', 201, 'ok')`,
    )
      .bind(old, requestId)
      .run();
    const recent = `recent-${crypto.randomUUID()}`;
    await call('/v1/tokens', {
      method: 'POST',
      json: { name: 'kept', scopes: ['read'] },
      headers: { 'X-Request-Id': recent },
    });
    const present = async (id: string) =>
      (await testEnv.DB.prepare('SELECT 1 FROM audit_events WHERE request_id = ?1').bind(id).first()) !==
      null;
    expect(await present(requestId)).toBe(true);
    expect(await pruneAudit(testDeps(), 365 * 86_400_000)).toBeGreaterThanOrEqual(1);
    expect(await present(requestId)).toBe(false);
    expect(await present(recent)).toBe(true);
  });
});

describe('failed authentication is throttled', () => {
  it('after AUTH_FAILURE_LIMIT failures from one IP, even a valid token gets 429 with Retry-After', async () => {
    const ip = freshIp();
    const headers = { 'CF-Connecting-IP': ip };
    // A success first: this isolate then remembers the client as clear, and must forget it on the
    // first failure (auth-throttle.ts), or the 429 below would be skipped for a while.
    expect((await call('/v1/health', { headers })).status).toBe(200);
    for (let i = 0; i < 20; i++) {
      const res = await call('/v1/health', { token: `cairn_guess_${i}`, headers });
      expect(res.status).toBe(401);
    }
    const limited = await call('/v1/health', { token: 'cairn_guess_x', headers });
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The right token from the throttled client is refused too: a 200 would confirm a guess.
    expect((await call('/v1/health', { headers })).status).toBe(429);
    // Other clients, and anonymous requests, are unaffected.
    expect((await call('/v1/health', { headers: { 'CF-Connecting-IP': freshIp() } })).status).toBe(200);
    expect((await call('/v1/health', { token: null, headers })).status).toBe(200);
    const recorded = (await auditFor('outcome=denied&limit=100')).filter((i) => i.ip === ip);
    expect(recorded.map((i) => i.status)).toContain(429);
  });

  it('one credential failing from many IPs is throttled too', async () => {
    const stolen = `cairn_revoked_${crypto.randomUUID()}`;
    for (let i = 0; i < 20; i++) {
      expect(
        (await call('/v1/health', { token: stolen, headers: { 'CF-Connecting-IP': freshIp() } })).status,
      ).toBe(401);
    }
    const res = await call('/v1/health', { token: stolen, headers: { 'CF-Connecting-IP': freshIp() } });
    expect(res.status).toBe(429);
  });
});

describe('request limits', () => {
  it('JSON bodies over 1 MiB get 413 PAYLOAD_TOO_LARGE before parsing (publish allows 32 MiB)', async () => {
    const digests = Array.from({ length: 20_000 }, () => `sha256:${'0'.repeat(64)}`); // ~1.4 MB
    const res = await call('/v1/blobs/check', { method: 'POST', json: { digests } });
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe('PAYLOAD_TOO_LARGE');
    const tag = await call(`/v1/artifacts/${uniqueName()}/tags/x`, {
      method: 'PUT',
      json: { version: 1, reason: 'x'.repeat(1_100_000) },
    });
    expect(tag.status).toBe(413);
    // A publish of 2 MiB is fine (the 100,000-file test in versions.test.ts goes to ~15 MB).
    const f = await storedFile('a');
    const params = Object.fromEntries(Array.from({ length: 220 }, (_, k) => [`p${k}`, 'y'.repeat(9_999)]));
    const big = await publishOk(uniqueName(), { files: [f], params });
    expect(big.version).toBe(1);
  });
});
