/** /hf repos, trees, info and downloads: the Hub's shapes over artifacts and versions. */
import { describe, expect, it } from 'vitest';
import { commit, createHfRepo, HF_TOKEN, header, hf, hubUpload, lfsFile } from '../helpers/hf';
import { createToken } from '../helpers/http';
import { uniqueName } from '../helpers/registry';

async function repoWithFiles(paths: Record<string, string>) {
  const name = uniqueName('acme', 'hf');
  expect((await createHfRepo(name)).status).toBe(200);
  const lines: unknown[] = [header()];
  for (const [path, content] of Object.entries(paths))
    lines.push(lfsFile(path, await hubUpload(name, content)));
  const res = await commit(name, lines);
  expect(res.status, await res.clone().text()).toBe(200);
  return { name, commitOid: ((await res.json()) as { commitOid: string }).commitOid };
}

describe('POST /hf/api/repos/create', () => {
  it('creates the artifact, answers 200 again for the same repo, 409 KIND_CONFLICT for another type', async () => {
    const name = uniqueName('acme', 'hf');
    expect((await createHfRepo(name)).status).toBe(200);
    const again = await createHfRepo(name);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { url: string }).url).toMatch(new RegExp(`/hf/${name}$`));
    const other = await createHfRepo(name, 'dataset');
    expect(other.status).toBe(409);
    expect(other.headers.get('X-Error-Code')).toBe('KIND_CONFLICT');
  });

  it('refuses a token limited to another namespace (403), and a read-only token', async () => {
    const limited = await createToken(['write'], { namespaces: ['other'] });
    expect((await createHfRepo(uniqueName('acme', 'hf'), 'model', `hf_${limited.token}`)).status).toBe(403);
    const reader = await createToken(['read']);
    expect((await createHfRepo(uniqueName('acme', 'hf'), 'model', `hf_${reader.token}`)).status).toBe(403);
  });

  it('refuses inline files (400), and an unknown /hf route is NOT_FOUND, not EntryNotFound', async () => {
    const res = await hf('/api/repos/create', {
      method: 'POST',
      json: { name: 'x', organization: 'acme', files: [{ path: 'a', content: '' }] },
    });
    expect(res.status).toBe(400);
    const nowhere = await hf('/api/spaces/acme/x');
    expect(nowhere.status).toBe(404);
    expect(nowhere.headers.get('X-Error-Code')).toBe('NOT_FOUND');
  });

  it('a bad hf_ token → 401 in the Hub shape', async () => {
    const res = await createHfRepo(uniqueName('acme', 'hf'), 'model', 'hf_nope');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/Invalid credentials/);
    // Exactly this: huggingface_hub tells a bad token from a missing repo by it.
    expect(res.headers.get('X-Error-Message')).toBe('Invalid credentials in Authorization header');
  });
});

describe('GET /hf/api/models/{ns}/{name}[/revision/{rev}]', () => {
  it('answers sha (the commit id) and siblings; revision by commit id, number and branch', async () => {
    const { name, commitOid } = await repoWithFiles({ 'config.json': '{}', 'w/a.bin': 'aaaa' });
    for (const path of [
      `/api/models/${name}`,
      `/api/models/${name}/revision/${commitOid}`,
      `/api/models/${name}/revision/1`,
      `/api/models/${name}/revision/HEAD`,
    ]) {
      const res = await hf(path);
      expect(res.status, path).toBe(200);
      const info = (await res.json()) as { id: string; sha: string; siblings: { rfilename: string }[] };
      expect(info.id).toBe(name);
      expect(info.sha).toBe(commitOid);
      expect(info.siblings.map((s) => s.rfilename)).toEqual(['config.json', 'w/a.bin']);
    }
  });

  it('unknown repo → 404 RepoNotFound, unknown revision → 404 RevisionNotFound, a dataset is no model', async () => {
    const missing = await hf(`/api/models/acme/nope-${Date.now()}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('X-Error-Code')).toBe('RepoNotFound');
    expect(((await missing.json()) as { error: string }).error).toMatch(/no artifact/);
    const { name } = await repoWithFiles({ 'a.txt': 'a' });
    const rev = await hf(`/api/models/${name}/revision/${'f'.repeat(40)}`);
    expect(rev.status).toBe(404);
    expect(rev.headers.get('X-Error-Code')).toBe('RevisionNotFound');
    expect((await hf(`/api/datasets/${name}`)).headers.get('X-Error-Code')).toBe('RepoNotFound');
  });

  it('a repo without a commit yet: info and an empty tree at main/HEAD, RevisionNotFound elsewhere', async () => {
    const name = uniqueName('acme', 'hf');
    expect((await createHfRepo(name)).status).toBe(200);
    const info = (await (await hf(`/api/models/${name}/revision/HEAD`)).json()) as {
      sha: null;
      siblings: [];
    };
    expect(info).toMatchObject({ sha: null, siblings: [] });
    expect(await (await hf(`/api/models/${name}/tree/main`)).json()).toEqual([]);
    expect((await hf(`/api/models/${name}/tree/dev`)).headers.get('X-Error-Code')).toBe('RevisionNotFound');
  });

  it('a token limited to another namespace sees RepoNotFound', async () => {
    const { name } = await repoWithFiles({ 'a.txt': 'a' });
    const limited = await createToken(['read'], { namespaces: ['other'] });
    const res = await hf(`/api/models/${name}`, { token: `hf_${limited.token}` });
    expect(res.status).toBe(404);
    expect(res.headers.get('X-Error-Code')).toBe('RepoNotFound');
  });
});

describe('GET /hf/api/models/{ns}/{name}/tree/{rev}[/{path}]', () => {
  it('lists a folder, recurses on request, and pages with Link', async () => {
    const { name } = await repoWithFiles({ 'a.txt': 'a', 'd/b.txt': 'b', 'd/e/c.txt': 'c' });
    const top = (await (await hf(`/api/models/${name}/tree/main`)).json()) as {
      path: string;
      type: string;
    }[];
    expect(top.map((e) => `${e.type}:${e.path}`)).toEqual(['file:a.txt', 'directory:d']);
    const sub = (await (await hf(`/api/models/${name}/tree/main/d?recursive=true`)).json()) as {
      path: string;
    }[];
    expect(sub.map((e) => e.path)).toEqual(['d/b.txt', 'd/e', 'd/e/c.txt']);
    const first = await hf(`/api/models/${name}/tree/main?recursive=true&limit=2`);
    const link = first.headers.get('Link');
    expect(link).toMatch(/rel="next"/);
    const next = new URL(/<([^>]+)>/.exec(link!)![1]!);
    const second = (await (await hf(next.pathname.slice(3) + next.search)).json()) as { path: string }[];
    expect(second.map((e) => e.path)).toEqual(['d/b.txt', 'd/e']);
    const missing = await hf(`/api/models/${name}/tree/main/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('X-Error-Code')).toBe('EntryNotFound');
  });
});

describe('GET|HEAD /hf/{ns}/{name}/resolve/{rev}/{path}', () => {
  it('serves bytes with Range, ETag, X-Repo-Commit, X-Linked-Size, X-Linked-Etag', async () => {
    const { name, commitOid } = await repoWithFiles({ 'd/w.bin': 'hello weights' });
    const head = await hf(`/${name}/resolve/main/d/w.bin`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('X-Repo-Commit')).toBe(commitOid);
    expect(head.headers.get('X-Linked-Size')).toBe('13');
    expect(head.headers.get('X-Linked-Etag')).toMatch(/^"[0-9a-f]{64}"$/);
    const ranged = await hf(`/${name}/resolve/${commitOid}/d/w.bin`, { headers: { Range: 'bytes=0-4' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe('hello');
    expect(ranged.headers.get('Content-Range')).toBe('bytes 0-4/13');
    const missing = await hf(`/${name}/resolve/main/nope.bin`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('X-Error-Code')).toBe('EntryNotFound');
    const rev = await hf(`/${name}/resolve/7/d/w.bin`);
    expect(rev.headers.get('X-Error-Code')).toBe('RevisionNotFound');
    expect(HF_TOKEN.startsWith('hf_')).toBe(true);
  });
});

describe('POST /hf/api/validate-yaml (card metadata, before a commit adding README.md)', () => {
  const validate = (content: unknown) =>
    hf('/api/validate-yaml', { method: 'POST', json: { content, repoType: 'model' } });

  it('a card with a metadata mapping, or with none, has no errors', async () => {
    for (const content of ['---\nlicense: mit\ntags: [a, b]\n---\n# Model\n', '# No metadata\n', '']) {
      const res = await validate(content);
      expect(res.status, content).toBe(200);
      expect(await res.json()).toEqual({ errors: [], warnings: [] });
    }
  });

  it('unparsable YAML or a non-mapping → 400 with `errors`, as HfApi._validate_yaml reads them', async () => {
    for (const content of ['---\nlicense: [mit\n---\n', '---\n- a\n- b\n---\n']) {
      const res = await validate(content);
      expect(res.status, content).toBe(400);
      const body = (await res.json()) as { errors: { message: string }[] };
      expect(body.errors.length).toBeGreaterThan(0);
      expect(body.errors[0]!.message).toMatch(/YAML metadata/);
    }
  });

  it('a body without content → 400 BAD_REQUEST; a bad token → 401', async () => {
    const res = await hf('/api/validate-yaml', { method: 'POST', json: { repoType: 'model' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('X-Error-Code')).toBe('BAD_REQUEST');
    const denied = await hf('/api/validate-yaml', {
      method: 'POST',
      json: { content: '' },
      token: 'hf_nope',
    });
    expect(denied.status).toBe(401);
  });
});

describe('POST /hf/api/models/{ns}/{name}/paths-info/{rev}', () => {
  type Entry = { type: string; path: string; oid: string; size: number };

  it('answers what each path is (form-encoded as huggingface_hub posts it, or JSON); unknown paths are left out', async () => {
    const { name, commitOid } = await repoWithFiles({ 'config.json': '{}', 'w/a.bin': 'aaaa' });
    const form = await hf(`/api/models/${name}/paths-info/main`, {
      method: 'POST',
      body: 'paths=config.json&paths=w&paths=nope&expand=False',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(200);
    const entries = (await form.json()) as Entry[];
    expect(entries.map((e) => [e.type, e.path, e.size])).toEqual([
      ['file', 'config.json', 2],
      ['directory', 'w', 0],
    ]);
    expect(entries[1]!.oid).toBe(commitOid);
    const json = await hf(`/api/models/${name}/paths-info/${commitOid}`, {
      method: 'POST',
      json: { paths: ['w/a.bin'] },
    });
    expect(((await json.json()) as Entry[]).map((e) => e.path)).toEqual(['w/a.bin']);
    // Folders at any depth; a prefix of a file name is not a folder.
    const { name: deep } = await repoWithFiles({ 'w/x/y.bin': 'y', 'w/a.bin': 'a' });
    const nested = await hf(`/api/models/${deep}/paths-info/main`, {
      method: 'POST',
      json: { paths: ['w/x', 'w', 'w/a', '/w/x/y.bin/'] },
    });
    expect(((await nested.json()) as Entry[]).map((e) => [e.type, e.path])).toEqual([
      ['directory', 'w/x'],
      ['directory', 'w'],
      ['file', 'w/x/y.bin'],
    ]);
  });

  it('a body without paths → 400; an unknown revision → 404 RevisionNotFound', async () => {
    const { name } = await repoWithFiles({ 'a.txt': 'a' });
    const bad = await hf(`/api/models/${name}/paths-info/main`, { method: 'POST', json: { paths: 'a.txt' } });
    expect(bad.status).toBe(400);
    const rev = await hf(`/api/models/${name}/paths-info/nope`, { method: 'POST', json: { paths: [] } });
    expect(rev.status).toBe(404);
    expect(rev.headers.get('X-Error-Code')).toBe('RevisionNotFound');
  });
});

describe('GET /hf/api/models/{ns}/{name}/refs', () => {
  it('lists every tag as a branch at its commit id', async () => {
    const { name, commitOid } = await repoWithFiles({ 'a.txt': 'a' });
    const res = await hf(`/api/models/${name}/refs?include_prs=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      branches: [{ name: 'main', ref: 'refs/heads/main', targetCommit: commitOid }],
      converts: [],
      tags: [],
      pullRequests: [],
    });
    const unknown = await hf(`/api/datasets/${name}/refs`);
    expect(unknown.headers.get('X-Error-Code')).toBe('RepoNotFound');
  });
});

describe('a repo id without a namespace, and GET /hf/api/whoami-v2', () => {
  it('create_repo("name") (organization null) lands in the namespace of a token limited to one; others must name it', async () => {
    const ns = `own${Date.now().toString(36)}`;
    const own = `hf_${(await createToken(['write'], { namespaces: [ns] })).token}`;
    const created = await hf('/api/repos/create', {
      method: 'POST',
      json: { name: 'tiny', organization: null, type: 'model' },
      token: own,
    });
    expect(created.status).toBe(200);
    expect(((await created.json()) as { id: string }).id).toBe(`${ns}/tiny`);
    const unscoped = await hf('/api/repos/create', {
      method: 'POST',
      json: { name: 'tiny', organization: null },
    });
    expect(unscoped.status).toBe(400);
    expect(await unscoped.text()).toMatch(/namespace\/name/);
  });

  it('describes the token as huggingface_hub.whoami() and login() read it; 401 without one', async () => {
    const ns = `who${Date.now().toString(36)}`;
    const reader = await createToken(['read'], { namespaces: [ns] });
    const res = await hf('/api/whoami-v2', { token: `hf_${reader.token}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      type: 'user',
      name: 't-read',
      orgs: [{ name: ns }],
      auth: { accessToken: { displayName: 't-read', role: 'read' } },
    });
    const admin = (await (await hf('/api/whoami-v2')).json()) as { auth: { accessToken: { role: string } } };
    expect(admin.auth.accessToken.role).toBe('write');
    const anonymous = await hf('/api/whoami-v2', { token: null });
    expect(anonymous.status).toBe(401);
  });
});

describe('GET /hf/api/models/{ns}/{name}/commits/{rev}', () => {
  type Commit = { id: string; title: string; authors: { user: string }[]; date: string };

  it('follows the parent chain from the revision, newest first, 50 a page with a pinned Link', async () => {
    const name = uniqueName('acme', 'hfc');
    expect((await createHfRepo(name)).status).toBe(200);
    const a = await hubUpload(name, 'a');
    const b = await hubUpload(name, 'b');
    const ids: string[] = [];
    for (let i = 0; i < 51; i++) {
      const res = await commit(name, [
        { key: 'header', value: { summary: `commit ${i}` } },
        lfsFile('x.txt', i % 2 ? b : a),
      ]);
      expect(res.status).toBe(200);
      ids.unshift(((await res.json()) as { commitOid: string }).commitOid);
    }
    const first = await hf(`/api/models/${name}/commits/main`);
    expect(first.status).toBe(200);
    const page = (await first.json()) as Commit[];
    expect(page.map((c) => c.id)).toEqual(ids.slice(0, 50));
    expect(page[0]).toMatchObject({ title: 'commit 50', authors: [{ user: expect.any(String) }] });
    expect(Number.isNaN(Date.parse(page[0]!.date))).toBe(false);
    const link = /<([^>]+)>; rel="next"/.exec(first.headers.get('Link') ?? '')?.[1];
    expect(link).toMatch(new RegExp(`/commits/${ids[50]}$`));
    const second = await hf(new URL(link!).pathname.slice(3) + new URL(link!).search);
    expect(((await second.json()) as Commit[]).map((c) => c.id)).toEqual([ids[50]]);
    expect(second.headers.get('Link')).toBeNull();
    // From an older commit: only its own ancestors.
    const older = (await (await hf(`/api/models/${name}/commits/${ids[49]}`)).json()) as Commit[];
    expect(older.map((c) => c.id)).toEqual([ids[49], ids[50]]);
  });

  it('an empty repo has no commits; an unknown revision → 404 RevisionNotFound; a bad page → 400', async () => {
    const name = uniqueName('acme', 'hfc');
    expect((await createHfRepo(name)).status).toBe(200);
    expect(await (await hf(`/api/models/${name}/commits/main`)).json()).toEqual([]);
    const unknown = await hf(`/api/models/${name}/commits/nope`);
    expect(unknown.headers.get('X-Error-Code')).toBe('RevisionNotFound');
    expect((await hf(`/api/models/${name}/commits/main?p=-1`)).status).toBe(400);
  });
});
