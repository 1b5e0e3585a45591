/**
 * The web UI in a real browser: headless Chromium (Debian `chromium`, driven by playwright-core)
 * against a real `npm start`, with data seeded through the HTTP API. Walks what a person does:
 * is refused without a token, logs in, goes from / to a model version, sees its lineage graph,
 * clicks through to the dataset, opens the diff of two versions and reads the changed package;
 * and checks the version page at 320 px and that the browser reports no CSP violation.
 * Screenshots go to test/browser/screenshots/ (gitignored); UPDATE_DOCS_SCREENSHOT=1 also
 * refreshes docs/ui-version.png for the README.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT, startServer } from '../e2e/harness.mjs';

const SHOTS = join(ROOT, 'test', 'browser', 'screenshots');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const COMMIT = '3f2a9c41d5e8b7a6c0f1e2d3b4a5968778695a4b';

let server;
let browser;

/** The registry's HTTP API, as a pipeline would call it. */
async function api(method, path, body, headers = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${server.token}`, ...headers },
    body,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function put(path, content) {
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  await api('PUT', `/v1/blobs/${digest}`, content, { 'Content-Type': 'application/octet-stream' });
  return { path, digest, size: Buffer.byteLength(content) };
}

const publish = async (name, version) =>
  api('POST', `/v1/artifacts/${name}/versions`, JSON.stringify(version), {
    'Content-Type': 'application/json',
  });

/** The README's churn example: raw export → dataset → model (trained twice) → a report. */
async function seed() {
  const rows = [
    'age,plan,churned\n34,basic,0\n51,pro,1\n',
    'age,plan,churned\n34,basic,0\n51,pro,1\n41,pro,1\n',
  ];
  const sklearn = ['1.3.0', '1.4.0'];
  for (let i = 0; i < 2; i++) {
    await publish('acme/crm-export', {
      kind: 'dataset',
      files: [await put('customers.csv', rows[i])],
      tags: ['latest'],
    });
    await publish('acme/churn-data', {
      kind: 'dataset',
      files: [await put('train.csv', rows[i])],
      inputs: [{ ref: 'acme/crm-export:latest', role: 'cleaned-from' }],
      tags: ['latest'],
    });
    const model = await publish('acme/churn-model', {
      kind: 'model',
      files: [await put('model.pkl', `weights v${i + 1}\n`)],
      inputs: [{ ref: 'acme/churn-data:latest', role: 'training' }],
      code: { repo: 'https://git.example/acme/churn', commit: COMMIT, path: 'train.py' },
      environment: {
        lockfiles: [await put('requirements.txt', `pandas==2.1.0\nscikit-learn==${sklearn[i]}\n`)],
      },
      params: { max_depth: 6 },
      metrics: { auc: i === 0 ? 0.91 : 0.93 },
      tags: ['latest'],
    });
    await api(
      'PUT',
      '/v1/artifacts/acme/churn-model/tags/production',
      JSON.stringify({ digest: model.digest, reason: i === 0 ? 'first release' : 'AUC 0.93 on holdout' }),
      { 'Content-Type': 'application/json' },
    );
  }
  await publish('acme/churn-report', {
    kind: 'other',
    files: [await put('report.html', '<h1>churn</h1>\n')],
    inputs: [{ ref: 'acme/churn-model:production', role: 'evaluated' }],
  });
}

/** A page that records every CSP violation the browser reports. */
async function openPage(context, viewport = { width: 1200, height: 900 }) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  page.violations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) page.violations.push(msg.text());
  });
  return page;
}

const shot = (page, name, fullPage = true) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });

describe('web UI in Chromium', { timeout: 240_000 }, () => {
  let context;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer();
    await seed();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    context = await browser.newContext();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('anonymous visitors are refused (PUBLIC_READ is off): / leads to the login form', async () => {
    const anonymous = await browser.newContext();
    const page = await openPage(anonymous);
    await page.goto(`${server.url}/`);
    assert.equal(new URL(page.url()).pathname, '/ui/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/ui');
    assert.equal(await page.locator('h1').textContent(), 'Log in');
    const direct = await page.request.get(`${server.url}/ui/artifacts/acme/churn-model`, { maxRedirects: 0 });
    assert.equal(direct.status(), 302);
    assert.ok(!(await page.content()).includes('acme/churn-model'));
    await shot(page, 'login');
    await anonymous.close();
  });

  it('logs in with a token: an HttpOnly, SameSite=Strict cookie, then the artifact list', async () => {
    const page = await openPage(context);
    await page.goto(`${server.url}/`);
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    assert.match(await page.locator('.note.error').textContent(), /not valid/);
    await page.fill('#token', server.token);
    await Promise.all([page.waitForURL(`${server.url}/ui`), page.click('main button[type=submit]')]);
    const [cookie] = await context.cookies();
    assert.equal(cookie.name, 'cairn_token');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.secure, false); // plain http on localhost
    assert.match(await page.locator('header .who').textContent(), /signed in as admin/);
    await page.waitForSelector('a[href="/ui/artifacts/acme/churn-model"]');
    await shot(page, 'artifacts');
    assert.deepEqual(page.violations, []);
    await page.close();
  });

  it('navigates from / to a model version, sees the lineage graph with the dataset, clicks through to it', async () => {
    const page = await openPage(context);
    await page.goto(`${server.url}/`);
    await page.click('a[href="/ui/artifacts/acme/churn-model"]');
    assert.equal(await page.locator('h1').textContent(), 'acme/churn-model');
    assert.match(await page.locator('#history + .scroll').textContent(), /AUC 0\.93 on holdout/);
    await shot(page, 'artifact');
    await page.click('table a[href="/ui/artifacts/acme/churn-model/versions/2"]');
    assert.match(await page.locator('h1').textContent(), /acme\/churn-model v2/);

    const graph = page.locator('svg.lineage');
    await graph.waitFor();
    const current = graph.locator('g.node.current');
    assert.match(await current.textContent(), /acme\/churn-model.*v2 model · latest, production/s);
    assert.equal(await graph.locator('g.node.current.protected').count(), 1);
    const dataset = graph.locator('a[href="/ui/artifacts/acme/churn-data/versions/2"]');
    assert.equal(await dataset.count(), 1);
    assert.match(await dataset.textContent(), /acme\/churn-data/);
    assert.ok((await graph.locator('text.edge-label').allTextContents()).includes('training'));
    const boxes = await graph.locator('g.node').allTextContents();
    for (const upOrDown of ['acme/crm-export', 'acme/churn-report'])
      assert.ok(boxes.some((t) => t.includes(upOrDown)));
    await shot(page, 'version');
    await graph.screenshot({ path: join(SHOTS, 'version-lineage.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      const box = await page.locator('.graph').boundingBox();
      const clip = { x: 0, y: 0, width: 1200, height: Math.ceil(box.y + box.height + 24) };
      await page.screenshot({ path: join(SHOTS, 'version-top.png'), clip });
      copyFileSync(join(SHOTS, 'version-top.png'), join(ROOT, 'docs', 'ui-version.png'));
    }

    await Promise.all([page.waitForURL(/\/ui\/artifacts\/acme\/churn-data\/versions\/2$/), dataset.click()]);
    assert.match(await page.locator('h1').textContent(), /acme\/churn-data v2/);
    assert.match(await page.locator('svg.lineage g.node.current').textContent(), /acme\/churn-data/);
    assert.deepEqual(page.violations, []);
    await page.close();
  });

  it('opens the diff of two versions and reads the changed package', async () => {
    const page = await openPage(context);
    await page.goto(`${server.url}/ui/artifacts/acme/churn-model/versions/2`);
    await Promise.all([page.waitForURL(/\/ui\/diff\?/), page.click('text=with v1')]);
    const pillars = await page.locator('section.pillar').evaluateAll((els) => els.map((e) => e.id));
    assert.deepEqual(pillars, ['pillar-data', 'pillar-environment', 'pillar-code', 'pillar-params']);
    const row = page.locator('#pillar-environment tr', { hasText: 'scikit-learn' });
    assert.deepEqual(
      (await row.locator('td').allTextContents()).map((t) => t.trim()),
      ['scikit-learn', 'changed', '1.3.0', '1.4.0'],
    );
    assert.match(await page.locator('#pillar-data').textContent(), /train\.csv/);
    await shot(page, 'diff');

    await page.goto(`${server.url}/ui/artifacts/acme/churn-model/tags/production/explain`);
    assert.match(await page.locator('main').textContent(), /AUC 0\.93 on holdout/);
    await shot(page, 'explain');
    assert.deepEqual(page.violations, []);
    await page.close();
  });

  it('reads the API reference from the header link and jumps to an operation', async () => {
    const page = await openPage(context);
    await page.goto(`${server.url}/ui`);
    await Promise.all([page.waitForURL(/\/ui\/api$/), page.click('header nav >> text=API')]);
    assert.equal(await page.locator('h1').textContent(), 'API reference');
    await Promise.all([page.waitForURL(/#postV1AdminGc$/), page.click('text=POST /v1/admin/gc')]);
    const gc = page.locator('#postV1AdminGc');
    assert.match(await gc.locator('dl.facts').first().textContent(), /token\s*admin/);
    assert.match(await gc.textContent(), /dryRun\?: boolean/);
    await shot(page, 'api');
    assert.deepEqual(page.violations, []);
    await page.close();
  });

  it('fits a 320 px screen: the page never scrolls sideways, wide tables and the graph scroll in place', async () => {
    const page = await openPage(context, { width: 320, height: 640 });
    for (const path of [
      '/ui/api',
      '/ui',
      '/ui/artifacts/acme/churn-model',
      '/ui/artifacts/acme/churn-model/versions/2',
    ]) {
      await page.goto(`${server.url}${path}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 320, `${path} is ${width} px wide`);
    }
    await shot(page, 'version-320px');
    await page.close();
  });

  it('a link from another site lands on the page, logged in (SameSite=Strict: one same-origin hop)', async () => {
    const page = await openPage(context);
    // localhost and 127.0.0.1 are different sites: the session cookie is not sent across.
    const elsewhere = server.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${elsewhere}/ui/login`);
    const target = `${server.url}/ui/artifacts/acme/churn-model/versions/2`;
    await page.evaluate((href) => {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = 'shared link';
      document.body.append(a);
    }, target);
    const requests = [];
    page.on('request', (req) => {
      if (req.url() === target) requests.push(req);
    });
    await Promise.all([page.waitForURL(target), page.click('text=shared link')]);
    await page.locator('svg.lineage').waitFor();
    // The cross-site request came without the cookie, the hop with it.
    assert.equal(requests.length, 2);
    const cookies = await Promise.all(requests.map(async (r) => (await r.allHeaders()).cookie ?? ''));
    assert.doesNotMatch(cookies[0], /cairn_token/);
    assert.match(cookies[1], /cairn_token=/);
    assert.match(await page.locator('h1').textContent(), /acme\/churn-model v2/);
    await page.close();
  });

  it('logs out', async () => {
    const page = await openPage(context);
    await page.goto(`${server.url}/ui`);
    await Promise.all([page.waitForURL(/\/ui\/login/), page.click('header button[type=submit]')]);
    assert.deepEqual(await context.cookies(), []);
    await page.goto(`${server.url}/ui/artifacts/acme/churn-model`);
    assert.equal(new URL(page.url()).pathname, '/ui/login');
    await page.close();
  });
});
