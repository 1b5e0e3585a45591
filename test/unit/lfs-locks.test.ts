import { describe, expect, it } from 'vitest';
import { createToken } from '../helpers/http';
import { basic, LFS_TYPE, lfsCall } from '../helpers/lfs';
import { uniqueName } from '../helpers/registry';

interface Lock {
  id: string;
  path: string;
  locked_at: string;
  owner: { name: string };
}

async function lock(repo: string, path: string, authorization?: string) {
  return lfsCall(`${repo}/locks`, { json: { path, ref: { name: 'refs/heads/main' } }, authorization });
}

async function lockOk(repo: string, path: string, authorization?: string): Promise<Lock> {
  const res = await lock(repo, path, authorization);
  expect(res.status).toBe(201);
  return ((await res.json()) as { lock: Lock }).lock;
}

async function list(repo: string, query = '', authorization?: string) {
  const res = await lfsCall(`${repo}/locks${query}`, { method: 'GET', authorization });
  return { status: res.status, body: (await res.json()) as { locks: Lock[]; next_cursor?: string } };
}

const unlock = (repo: string, id: string, json: unknown, authorization?: string) =>
  lfsCall(`${repo}/locks/${id}/unlock`, { json, authorization });

describe('/lfs/{ns}/{name}/locks', () => {
  it('create → 201 with the lock; the same path again → 409 carrying the existing lock', async () => {
    const repo = uniqueName();
    const created = await lockOk(repo, 'models/model.pkl');
    expect(created).toMatchObject({ path: 'models/model.pkl', owner: { name: 'admin' } });
    expect(Date.parse(created.locked_at)).toBeGreaterThan(Date.now() - 60_000);

    const { token } = await createToken(['write']);
    const clash = await lock(repo, 'models/model.pkl', basic(token));
    expect(clash.status).toBe(409);
    expect(clash.headers.get('content-type')).toBe(LFS_TYPE);
    const body = (await clash.json()) as { lock: Lock; message: string; request_id: string };
    expect(body.lock).toEqual(created);
    expect(body.message).toMatch(/already locked by admin/);
    expect(body.request_id).toBeTruthy();
  });

  it('racing creators of one path: exactly one lock, every loser shown the winner', async () => {
    const repo = uniqueName();
    const results = await Promise.all(Array.from({ length: 10 }, () => lock(repo, 'race.pkl')));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const bodies = (await Promise.all(results.map((r) => r.json()))) as { lock: Lock }[];
    expect(new Set(bodies.map((b) => b.lock.id)).size).toBe(1);
  });

  it('locks belong to one repository', async () => {
    const a = uniqueName();
    const b = uniqueName();
    await lockOk(a, 'data/train.csv');
    await lockOk(b, 'data/train.csv');
    expect((await list(a)).body.locks).toHaveLength(1);
  });

  it('list filters by path and id and pages with limit and cursor, oldest first', async () => {
    const repo = uniqueName();
    const made: Lock[] = [];
    for (const path of ['a.pkl', 'b.pkl', 'c.pkl', 'd.pkl', 'e.pkl']) made.push(await lockOk(repo, path));

    expect((await list(repo, '?path=c.pkl')).body.locks.map((l) => l.id)).toEqual([made[2]!.id]);
    expect((await list(repo, `?id=${made[3]!.id}&refspec=refs/heads/main`)).body.locks).toEqual([made[3]]);
    expect((await list(repo, '?path=zzz')).body).toEqual({ locks: [] });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { status, body } = await list(repo, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      seen.push(...body.locks.map((l) => l.path));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    // Oldest first to the millisecond (ids start with it); locks made in the same one sort by chance.
    expect([...seen].sort()).toEqual(['a.pkl', 'b.pkl', 'c.pkl', 'd.pkl', 'e.pkl']);

    expect((await list(repo, '?cursor=not-a-cursor')).status).toBe(422);
    expect((await list(repo, '?limit=0')).status).toBe(422);
    expect((await list(repo, '?limit=501')).status).toBe(422);
  });

  it('verify splits the page into ours and theirs', async () => {
    const repo = uniqueName();
    const { token } = await createToken(['write']);
    const mine = await lockOk(repo, 'mine.pkl', basic(token));
    const theirs = await lockOk(repo, 'theirs.pkl');
    const res = await lfsCall(`${repo}/locks/verify`, {
      json: { ref: { name: 'refs/heads/main' }, limit: 100 },
      authorization: basic(token),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ours: [mine], theirs: [theirs] });

    const paged = await lfsCall(`${repo}/locks/verify`, { json: { limit: 1 }, authorization: basic(token) });
    const first = (await paged.json()) as { ours: Lock[]; theirs: Lock[]; next_cursor: string };
    const next = await lfsCall(`${repo}/locks/verify`, {
      json: { limit: 1, cursor: first.next_cursor },
      authorization: basic(token),
    });
    const second = (await next.json()) as { ours: Lock[]; theirs: Lock[]; next_cursor?: string };
    expect(second.next_cursor).toBeUndefined();
    expect([...first.ours, ...second.ours]).toEqual([mine]);
    expect([...first.theirs, ...second.theirs]).toEqual([theirs]);
  });

  it('unlock: the owner may; another token needs force and the admin scope', async () => {
    const repo = uniqueName();
    const owner = basic((await createToken(['write'])).token);
    const other = basic((await createToken(['write'])).token);
    const held = await lockOk(repo, 'weights.bin', owner);

    const denied = await unlock(repo, held.id, { force: false }, other);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toMatch(/locked by .*admin/);
    const forcedWithoutAdmin = await unlock(repo, held.id, { force: true }, other);
    expect(forcedWithoutAdmin.status).toBe(403);
    expect((await list(repo)).body.locks).toHaveLength(1);

    const byOwner = await unlock(repo, held.id, {}, owner);
    expect(byOwner.status).toBe(200);
    expect(((await byOwner.json()) as { lock: Lock }).lock).toEqual(held);
    expect((await unlock(repo, held.id, {}, owner)).status).toBe(404);

    const again = await lockOk(repo, 'weights.bin', other);
    const forced = await unlock(repo, again.id, { force: true });
    expect(forced.status).toBe(200);
    expect((await list(repo)).body.locks).toEqual([]);
  });

  it('a lock id from another repository is unknown here', async () => {
    const a = uniqueName();
    const held = await lockOk(a, 'x.pkl');
    expect((await unlock(uniqueName(), held.id, { force: true })).status).toBe(404);
  });

  it('scopes: read lists but cannot lock, verify or unlock; anonymous → 401', async () => {
    const repo = uniqueName();
    const held = await lockOk(repo, 'x.pkl');
    const reader = basic((await createToken(['read'])).token);
    expect((await list(repo, '', reader)).status).toBe(200);
    expect((await lock(repo, 'y.pkl', reader)).status).toBe(403);
    expect((await lfsCall(`${repo}/locks/verify`, { json: {}, authorization: reader })).status).toBe(403);
    expect((await unlock(repo, held.id, { force: true }, reader)).status).toBe(403);
    const anon = await lfsCall(`${repo}/locks`, { method: 'GET', authorization: null });
    expect(anon.status).toBe(401);
    expect(anon.headers.get('lfs-authenticate')).toBe('Basic realm="cairn"');
  });

  it('a token limited to namespaces cannot see or take locks outside them (404, as if no repository)', async () => {
    const outside = uniqueName('team-b');
    await lockOk(outside, 'x.pkl');
    const limited = basic((await createToken(['admin'], { namespaces: ['team-a'] })).token);
    expect((await list(outside, '', limited)).status).toBe(404);
    expect((await lock(outside, 'y.pkl', limited)).status).toBe(404);
    expect((await list(uniqueName('team-a'), '', limited)).status).toBe(200);
  });

  it('lock paths are relative POSIX paths (422 otherwise)', async () => {
    const repo = uniqueName();
    for (const path of ['', '/etc/passwd', '../up.pkl', 'a//b', 'a\u0000b']) {
      expect((await lock(repo, path)).status, JSON.stringify(path)).toBe(422);
    }
    expect((await lfsCall(`${repo}/locks`, { json: {} })).status).toBe(422);
  });
});
