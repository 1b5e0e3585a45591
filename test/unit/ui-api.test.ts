/**
 * /ui/api: the API reference page, rendered by the Worker from the same document
 * GET /v1/openapi.json serves: every operation with its summary, scope, parameters and answers,
 * grouped by resource; linked from every page's header; same access rules and headers as the
 * rest of the UI (no script).
 */
import { describe, expect, it } from 'vitest';
import { UI_CSP } from '../../src/ui/routes';
import { call } from '../helpers/http';
import { fetchDocument, operationsOf } from '../helpers/openapi';

/** What the JSX renderer makes of a text (only what these strings contain). */
const escaped = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

describe('GET /ui/api', () => {
  it('shows every operation of the document, by resource, with summary, scope and answers', async () => {
    const res = await call('/ui/api');
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(UI_CSP);
    expect(body).not.toMatch(/<script/i);
    expect(body).toContain('<a href="/v1/openapi.json">');
    const doc = await fetchDocument();
    const text = body.replace(/<[^>]+>/g, '');
    const missing = operationsOf(doc).filter(
      ({ method, path, op }) =>
        !text.includes(escaped((op.summary ?? '').replaceAll('`', ''))) ||
        !body.includes(
          `<section class="op" id="${op.operationId}"><h3><span class="chip">${method}</span> <code>${path}</code></h3>`,
        ),
    );
    expect(missing.map((m) => `${m.method} ${m.path}`)).toEqual([]);
    for (const tag of doc.tags ?? []) expect(body).toContain(`<h2 id="resource-${tag.name.toLowerCase()}">`);
    // Scope, a parameter with its rule, a request body field, an error answer.
    const gc = body.slice(body.indexOf('id="postV1AdminGc"'));
    expect(gc).toMatch(/<dt>token<\/dt><dd><code>admin<\/code><\/dd>/);
    expect(gc).toMatch(/<code>dryRun<\/code>\?: <code>boolean<\/code>/);
    const tags = body.slice(body.indexOf('id="putV1ArtifactsByNsByNameTagsByTag"'));
    expect(tags).toMatch(/<dd>any valid token<\/dd>/);
    expect(tags).toContain('<td class="num">409</td><td><code>TAG_CONFLICT</code></td>');
    const health = body.slice(body.indexOf('id="getV1Health"'));
    expect(health).toMatch(/<dd>none needed<\/dd>/);
  });

  it('is linked from the header of every UI page', async () => {
    const body = await (await call('/ui')).text();
    expect(body).toContain('<a href="/ui/api">API</a>');
  });

  it('without a session → the login page, like every UI page', async () => {
    const res = await call('/ui/api', { token: null });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/ui\/login/);
  });
});
