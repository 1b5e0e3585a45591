/**
 * Tag-move guards (services/tag-guard.ts): a publish that moves tags is refused as a whole, with
 * nothing written, when a tag's condition stops holding between publish's up-front check and its
 * batch. The fault injector's `interleave` hook (helpers/faults.ts) lands the other writer at
 * exactly that moment, so the race is forced every run:
 *   - a policy set on the tag → 403 POLICY_UNSATISFIED saying what is missing, no version row
 *     (before the guard: 201, the version written, the tag silently left where it was);
 *   - a Hub commit landing on the branch → the loser answers 409 TAG_CONFLICT, no version row
 *     (before: 409 with a new, untagged version left behind).
 */
import { describe, expect, it } from 'vitest';
import { MODEL_SIGNING_PREDICATE } from '../../src/services/provenance/model-signing';
import { FaultInjector, faultyEnv, sendWith } from '../helpers/faults';
import { commit, createHfRepo, HF_TOKEN, header, hubUpload, lfsFile, ndjson } from '../helpers/hf';
import { call } from '../helpers/http';
import { publishOk, storedFile, uniqueName } from '../helpers/registry';

/** The real app, running `other` once just before publish's batch goes out. */
function beforePublishBatch(other: () => Promise<void>) {
  let ran = false;
  const injector = new FaultInjector(null, async (kind) => {
    if (!ran && kind.startsWith('d1.batch(insert artifacts')) {
      ran = true;
      await other();
    }
  });
  return { send: sendWith(faultyEnv(injector)), ran: () => ran };
}

async function versionCount(name: string) {
  const res = await call(`/v1/artifacts/${name}/versions`);
  return ((await res.json()) as { items: unknown[] }).items.length;
}

describe('tag-move guards: forced interleavings', () => {
  it('a policy set between publish’s check and its batch: 403 POLICY_UNSATISFIED, no version', async () => {
    const name = uniqueName('acme', 'guard');
    await publishOk(name, { kind: 'model', files: [await storedFile('m.bin')] });
    const rule = { predicateType: MODEL_SIGNING_PREDICATE };
    const race = beforePublishBatch(async () => {
      const set = await call(`/v1/artifacts/${name}/policy`, {
        method: 'PUT',
        json: { tags: { production: [rule] } },
      });
      expect(set.status).toBe(200);
    });
    const res = await race.send(`/v1/artifacts/${name}/versions`, {
      method: 'POST',
      json: { kind: 'model', files: [await storedFile('n.bin')], tags: ['production'] },
    });
    expect(race.ran()).toBe(true);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; details: unknown } };
    expect(body.error).toMatchObject({
      code: 'POLICY_UNSATISFIED',
      details: { tag: 'production', missing: [rule] },
    });
    expect(await versionCount(name)).toBe(1);
    expect(await (await call(`/v1/artifacts/${name}/tags`)).json()).toEqual({});
  });

  it('a Hub commit loses the branch to another between its check and its publish: 409, no version', async () => {
    const name = uniqueName('acme', 'guard');
    expect((await createHfRepo(name)).status).toBe(200);
    const first = await commit(name, [header(), lfsFile('a', await hubUpload(name, 'a'))]);
    const { commitOid: parent } = (await first.json()) as { commitOid: string };
    const [b, c] = [await hubUpload(name, 'b'), await hubUpload(name, 'c')];
    let winner = '';
    const race = beforePublishBatch(async () => {
      const won = await commit(name, [header(parent), lfsFile('b', b)]);
      expect(won.status).toBe(200);
      winner = ((await won.json()) as { commitOid: string }).commitOid;
    });
    const lost = await race.send(`/hf/api/models/${name}/commit/main`, {
      method: 'POST',
      body: new TextEncoder().encode(ndjson([header(parent), lfsFile('c', c)])),
      headers: { 'content-type': 'application/x-ndjson' },
      token: HF_TOKEN,
    });
    expect(race.ran()).toBe(true);
    expect(lost.status).toBe(409);
    expect(lost.headers.get('X-Error-Code')).toBe('TAG_CONFLICT');
    expect(await versionCount(name)).toBe(2);
    const tags = (await (await call(`/v1/artifacts/${name}/tags`)).json()) as Record<string, string>;
    expect(tags.main?.slice(7, 47)).toBe(winner);
  });
});
