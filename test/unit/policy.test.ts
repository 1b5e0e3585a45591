/**
 * Policy-gated promotion: a protected tag moves only to a version holding the attestations its
 * policy requires, on every path (tag PUT, publish's tags), under races, and the history says
 * which attestations a move relied on.
 */
import { describe, expect, it } from 'vitest';
import { MODEL_SIGNING_PREDICATE } from '../../src/services/provenance/model-signing';
import { call, createToken, errorCode } from '../helpers/http';
import { postAttestation, registeredKey, signBytes, statementOf, type TestKey } from '../helpers/provenance';
import { publish, publishOk, storedFile, uniqueName } from '../helpers/registry';

async function versions(count: number) {
  const name = uniqueName('acme', 'policy');
  const digests: string[] = [];
  for (let i = 0; i < count; i++) {
    digests.push((await publishOk(name, { kind: 'model', files: [await storedFile('model.bin')] })).digest);
  }
  return { name, digests };
}

async function attest(name: string, sel: string, key: TestKey) {
  const bundle = await signBytes(key, await statementOf(name, sel, 'model-signing'));
  const res = await postAttestation(name, sel, JSON.stringify(bundle));
  expect(res.status).toBe(201);
  return ((await res.json()) as { digest: string }).digest;
}

function setPolicy(name: string, tags: unknown, token?: string) {
  return call(`/v1/artifacts/${name}/policy`, { method: 'PUT', json: { tags }, token });
}

const move = (name: string, tag: string, digest: string, token?: string) =>
  call(`/v1/artifacts/${name}/tags/${tag}`, { method: 'PUT', json: { digest }, token });

describe('PUT/GET …/policy', () => {
  it('needs promote; names only registered keys; reads back as set', async () => {
    const { name } = await versions(1);
    const key = await registeredKey();
    const writer = await createToken(['write']);
    const rules = { production: [{ predicateType: MODEL_SIGNING_PREDICATE, keys: [key.keyId] }] };
    expect((await setPolicy(name, rules, writer.token)).status).toBe(403);
    const unknown = await setPolicy(name, { production: [{ predicateType: 'x', keys: ['f'.repeat(64)] }] });
    expect({ status: unknown.status, code: await errorCode(unknown) }).toEqual({
      status: 422,
      code: 'KEY_UNKNOWN',
    });
    const promoter = await createToken(['promote']);
    expect((await setPolicy(name, rules, promoter.token)).status).toBe(200);
    expect(await (await call(`/v1/artifacts/${name}/policy`)).json()).toEqual({ tags: rules });
  });
});

describe('a tag under policy', () => {
  it('refuses a move lacking the attestation (403 POLICY_UNSATISFIED, what is missing), then allows it', async () => {
    const { name, digests } = await versions(1);
    const key = await registeredKey();
    const rule = { predicateType: MODEL_SIGNING_PREDICATE, keys: [key.keyId] };
    await setPolicy(name, { production: [rule] });
    const refused = await move(name, 'production', digests[0]!);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { error: { code: string; details: unknown } };
    expect(body.error).toMatchObject({
      code: 'POLICY_UNSATISFIED',
      details: { tag: 'production', missing: [rule] },
    });
    expect(await (await call(`/v1/artifacts/${name}/tags`)).json()).toEqual({});

    // An attestation by a key the rule does not allow does not count.
    await attest(name, '1', await registeredKey());
    expect((await move(name, 'production', digests[0]!)).status).toBe(403);

    const relied = await attest(name, '1', key);
    expect((await move(name, 'production', digests[0]!)).status).toBe(200);
    const history = (await (await call(`/v1/artifacts/${name}/tags/production/history`)).json()) as {
      items: { attestations?: string[] }[];
    };
    expect(history.items[0]?.attestations).toEqual([relied]);
    const explained = (await (await call(`/v1/artifacts/${name}/tags/production/explain`)).json()) as {
      move: { attestations?: string[] };
    };
    expect(explained.move.attestations).toEqual([relied]);
    // Other tags are not gated.
    expect((await move(name, 'staging', digests[0]!)).status).toBe(200);
  });

  it('a revoked key no longer satisfies the policy', async () => {
    const { name, digests } = await versions(1);
    const key = await registeredKey();
    await setPolicy(name, { production: [{ predicateType: MODEL_SIGNING_PREDICATE }] });
    await attest(name, '1', key);
    await call(`/v1/keys/${key.keyId}`, { method: 'DELETE' });
    expect(await errorCode(await move(name, 'production', digests[0]!))).toBe('POLICY_UNSATISFIED');
  });

  it('a publish naming the tag is refused with POLICY_UNSATISFIED and publishes nothing', async () => {
    const { name } = await versions(1);
    await setPolicy(name, { production: [{ predicateType: MODEL_SIGNING_PREDICATE }] });
    const res = await publish(name, {
      kind: 'model',
      files: [await storedFile('m.bin')],
      tags: ['production'],
    });
    expect({ status: res.status, code: await errorCode(res) }).toEqual({
      status: 403,
      code: 'POLICY_UNSATISFIED',
    });
    const list = (await (await call(`/v1/artifacts/${name}/versions`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it('20 racing movers, half to attested versions: the tag only ever points to attested ones', async () => {
    const { name, digests } = await versions(20);
    const key = await registeredKey();
    await setPolicy(name, { production: [{ predicateType: MODEL_SIGNING_PREDICATE, keys: [key.keyId] }] });
    const attested = new Set<string>();
    for (let i = 0; i < 20; i += 2) {
      await attest(name, String(i + 1), key);
      attested.add(digests[i]!);
    }
    const results = await Promise.all(digests.map((d) => move(name, 'production', d)));
    results.forEach((res, i) => {
      expect(res.status).toBe(attested.has(digests[i]!) ? 200 : 403);
    });
    const history = (await (
      await call(`/v1/artifacts/${name}/tags/production/history?limit=100`)
    ).json()) as {
      items: { to: string; attestations?: string[] }[];
    };
    expect(history.items.length).toBeGreaterThan(0);
    for (const event of history.items) {
      expect(attested.has(event.to)).toBe(true);
      expect(event.attestations).toHaveLength(1);
    }
    const tags = (await (await call(`/v1/artifacts/${name}/tags`)).json()) as Record<string, string>;
    expect(attested.has(tags.production!)).toBe(true);
  });

  it('without a policy, 20 concurrent unconditional moves between two versions all succeed (never 409)', async () => {
    const { name, digests } = await versions(2);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => move(name, 'staging', digests[i % 2]!)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
  });
});

describe('the version page (web UI)', () => {
  it('lists the attestations and says whether each policy-gated tag may move there', async () => {
    const { name } = await versions(1);
    const key = await registeredKey();
    await setPolicy(name, { production: [{ predicateType: MODEL_SIGNING_PREDICATE, keys: [key.keyId] }] });
    const before = await (await call(`/ui/artifacts/${name}/versions/1`)).text();
    expect(before).toContain('No attestations.');
    expect(before).toContain('lacks: https://model_signing/signature/v1.0');
    await attest(name, '1', key);
    const after = await (await call(`/ui/artifacts/${name}/versions/1`)).text();
    expect(after).toContain('<code>https://model_signing/signature/v1.0</code>');
    expect(after).toContain('may be promoted');
  });
});
