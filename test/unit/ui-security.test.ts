/**
 * The web UI's security: who gets in (cookie, header, PUBLIC_READ, namespace limits), how the
 * session cookie is set and cleared, CSRF on the login form, the security headers, and that
 * hostile names, labels, params, paths and query values come out escaped, never as markup.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { ADMIN, BASE, call, createToken, testEnv } from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';

const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function browse(path: string, cookieToken?: string, headers: Record<string, string> = {}) {
  return call(path, {
    token: null,
    headers: cookieToken ? { Cookie: `cairn_token=${cookieToken}`, ...headers } : headers,
  });
}

function login(
  form: Record<string, string>,
  headers: Record<string, string> = { Origin: BASE },
  base = BASE,
) {
  return createApp().request(
    `${base}/ui/login`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    },
    testEnv,
  );
}

describe('UI access', () => {
  it('GET / → 302 /ui', async () => {
    const res = await call('/', { token: null });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/ui');
  });

  it('anonymous without PUBLIC_READ → 302 to the login form, remembering the page', async () => {
    const res = await browse('/ui/artifacts/acme/x?cursor=5');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(
      `/ui/login?next=${encodeURIComponent('/ui/artifacts/acme/x?cursor=5')}`,
    );
  });

  it('a navigation from another site hops once through this origin (SameSite=Strict cookies come back)', async () => {
    const res = await browse('/ui/diff', undefined, { 'Sec-Fetch-Site': 'cross-site' });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('<meta http-equiv="refresh" content="0;url=/ui/diff"/>');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
  });

  it('with PUBLIC_READ anonymous visitors read pages (and are offered a login)', async () => {
    const res = await createApp().request(`${BASE}/ui`, {}, { ...testEnv, PUBLIC_READ: 'true' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('public read-only view');
  });

  it('an Authorization header works like the API (Bearer), and a bad one → 401 page', async () => {
    expect((await call('/ui')).status).toBe(200);
    const bad = await call('/ui', { token: 'nope' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await bad.text()).toContain('UNAUTHORIZED');
  });

  it('a stale cookie → back to the login form, and the cookie is cleared', async () => {
    const res = await browse('/ui', 'cairn_revoked_or_wrong');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/ui/login?next=%2Fui');
    expect(res.headers.get('set-cookie')).toMatch(/^cairn_token=; Max-Age=0; Path=\//);
  });

  it('a namespace-limited token sees only its namespaces: others are 404, as in the API', async () => {
    const mine = uniqueName('uiown', 'm');
    const theirs = uniqueName('uiother', 't');
    const file = await storedFile('f.bin');
    await publishOk(mine, { files: [file] });
    const other = await publishOk(theirs, { files: [file] });
    await publishOk(`${mine}-child`, { files: [file], inputs: [{ ref: `${theirs}@1`, role: 'training' }] });
    const { token } = await createToken(['read'], { namespaces: ['uiown'] });

    const list = await (await browse('/ui?prefix=ui', token)).text();
    expect(list).toContain(mine);
    expect(list).not.toContain(theirs);
    expect((await browse(`/ui/artifacts/${theirs}`, token)).status).toBe(404);
    expect((await browse(`/ui/artifacts/${theirs}/versions/1`, token)).status).toBe(404);
    expect((await browse(`/ui/diff?from=${theirs}@1&to=${mine}@1`, token)).status).toBe(404);
    const child = await (await browse(`/ui/artifacts/${mine}-child/versions/1`, token)).text();
    // Its digest is in the manifest (as in the API), but the graph leaves the version out.
    expect(child).not.toContain(`data-digest="${other.digest}"`);
    expect(child).toContain('1 versions in namespaces this token cannot see are left out');
  });
});

describe('UI login and logout', () => {
  it('GET /ui/login: a form posting "token", with the security headers', async () => {
    const res = await browse('/ui/login?next=/ui/diff');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).toMatch(/<form method="post" action="\/ui\/login">/);
    expect(body).toContain('name="token"');
    expect(body).toContain('name="next" value="/ui/diff"');
    expect(body).not.toMatch(/<script|style=/i);
  });

  it('a valid token → 303 to next, cookie HttpOnly, SameSite=Strict, Path=/, not Secure over http', async () => {
    const res = await login({ token: ADMIN, next: '/ui/diff?from=a' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/diff?from=a');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^cairn_token=test-admin-token;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain('Secure');
    // The cookie is the session.
    expect((await browse('/ui', 'test-admin-token')).status).toBe(200);
  });

  it('over https the cookie is Secure', async () => {
    const res = await login({ token: ADMIN }, { Origin: 'https://cairn.test' }, 'https://cairn.test');
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toContain('Secure');
  });

  it('an issued token logs in too; a wrong or empty one → 401 / 400 page, no cookie', async () => {
    const { token } = await createToken(['read']);
    expect((await login({ token })).status).toBe(303);
    const wrong = await login({ token: 'cairn_not_a_token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('Not logged in: the token is not valid.');
    const empty = await login({ token: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.headers.get('set-cookie')).toBeNull();
  });

  it('an expired token is refused with that reason', async () => {
    const { token } = await createToken(['read'], { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await new Promise((r) => setTimeout(r, 1600));
    const res = await login({ token });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Not logged in: the token has expired.');
  });

  it('CSRF: a form posted from another origin → 403, no cookie; Sec-Fetch-Site same-origin is enough', async () => {
    const foreign = await login({ token: ADMIN }, { Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    expect(foreign.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const none = await login({ token: ADMIN }, {});
    expect(none.status).toBe(403);
    const sameSite = await login({ token: ADMIN }, { 'Sec-Fetch-Site': 'same-origin' });
    expect(sameSite.status).toBe(303);
  });

  it('failed logins count toward the failed-authentication limit: then 429 with Retry-After', async () => {
    const guess = `cairn_guess_${crypto.randomUUID()}`;
    const limit = Number(testEnv.AUTH_FAILURE_LIMIT ?? 20);
    for (let i = 0; i < limit; i++) expect((await login({ token: guess })).status).toBe(401);
    const throttled = await login({ token: guess });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await throttled.text()).toContain('RATE_LIMITED');
    // A stale cookie with that value is throttled too, before it is checked.
    expect((await browse('/ui', guess)).status).toBe(429);
  });

  it('next never leaves the UI (no open redirect)', async () => {
    for (const next of [
      '//evil.example/ui',
      'https://evil.example/ui',
      '/\\evil.example',
      '/v1/tokens',
      '/uix',
    ]) {
      const res = await login({ token: ADMIN, next });
      expect(res.headers.get('location'), next).toBe('/ui');
    }
  });

  it('POST /ui/logout clears the cookie; GET only offers the button', async () => {
    const get = await browse('/ui/logout', ADMIN);
    expect(get.status).toBe(200);
    expect(get.headers.get('set-cookie')).toBeNull();
    const res = await createApp().request(
      `${BASE}/ui/logout`,
      { method: 'POST', headers: { Origin: BASE, Cookie: `cairn_token=${ADMIN}` }, redirect: 'manual' },
      testEnv,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(
      /^cairn_token=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict/,
    );
  });
});

/** Every element the UI itself emits: any other tag in a page came from data. */
const UI_TAGS = new Set(
  (
    'html head meta title link body header main nav a div span strong form button label input p h1 h2 h3 ' +
    'section table thead tbody tr th td code time dl dt dd ul li br svg defs marker path g rect text'
  ).split(' '),
);
const tagsIn = (html: string) => [
  ...new Set([...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase())),
];

describe('UI escaping', () => {
  const HOSTILE = '<script>alert(1)</script>';
  const ATTR = '"><img src=x onerror=alert(1)>';

  it('hostile labels, params, paths, metrics, reasons and repo URLs render as text', async () => {
    const name = uniqueName('acme', 'hostile');
    const file = await storedFile(`data/${HOSTILE}.csv`);
    const lock = await storedFile(`${ATTR}.txt`, 'numpy==1.0\n');
    const v = await publishOk(name, {
      files: [file],
      labels: { team: HOSTILE, [ATTR]: 'x' },
      params: { [HOSTILE]: ATTR, nested: { deep: HOSTILE } },
      metrics: { [ATTR]: 1 },
      code: { repo: 'javascript:alert(1)', path: HOSTILE },
      environment: {
        lockfiles: [{ path: lock.path, digest: lock.digest }],
        image: ATTR,
        runtime: { [HOSTILE]: ATTR },
      },
      tags: ['latest'],
    });
    const move = await call(`/v1/artifacts/${name}/tags/staging`, {
      method: 'PUT',
      json: { digest: v.digest, reason: HOSTILE },
    });
    expect(move.status).toBe(200);

    for (const path of [
      `/ui/artifacts/${name}/versions/1`,
      `/ui/artifacts/${name}`,
      `/ui/artifacts/${name}/tags/staging/explain`,
      `/ui?prefix=acme/`,
    ]) {
      const body = await (await call(path)).text();
      expect(body, path).not.toContain('<script>');
      expect(body, path).not.toContain('<img');
      expect(body, path).not.toContain('href="javascript:');
      expect(tagsIn(body), path).toEqual(tagsIn(body).filter((t) => UI_TAGS.has(t)));
    }
    const version = await (await call(`/ui/artifacts/${name}/versions/1`)).text();
    expect(version).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(version).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    // The file's download link keeps the hostile path inside a percent-encoded URL.
    expect(version).toContain('/files/data/%3Cscript%3Ealert(1)%3C/script%3E.csv"');
    const download = await call(
      `/ui/artifacts/${name}/versions/1/files/data/%3Cscript%3Ealert(1)%3C/script%3E.csv`,
    );
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''script%3E.csv`);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    const history = await (await call(`/ui/artifacts/${name}`)).text();
    expect(history).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('hostile query values and paths come back escaped in error pages', async () => {
    const cases = [
      `/ui?prefix=${encodeURIComponent(HOSTILE)}`,
      `/ui/diff?from=${encodeURIComponent(HOSTILE)}&to=${encodeURIComponent(ATTR)}`,
      `/ui/artifacts/acme/x/versions/${encodeURIComponent(ATTR)}`,
      `/ui/artifacts/${encodeURIComponent(HOSTILE)}/x`,
      `/ui/${encodeURIComponent(HOSTILE)}`,
    ];
    for (const path of cases) {
      const res = await call(path);
      expect([400, 404], path).toContain(res.status);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const body = await res.text();
      expect(body, path).not.toContain('<script>');
      expect(body, path).not.toContain('<img');
    }
  });
});
