import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/digest';
import { ResumableSha256 } from '../../src/lib/resumable-sha256';
import { randomBytes } from '../helpers/http';

describe('ResumableSha256 (hash-wasm binary)', () => {
  it('matches WebCrypto on the standard vectors', async () => {
    for (const text of ['', 'abc', 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq']) {
      const bytes = new TextEncoder().encode(text);
      expect(ResumableSha256.create().update(bytes).digestHex()).toBe(await sha256Hex(bytes));
    }
  });

  it('saved and restored anywhere (mid-block included), it hashes as one pass would', async () => {
    const data = randomBytes(200_000);
    const expected = await sha256Hex(data);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: data.length }), { maxLength: 6 }),
        async (cuts) => {
          const bounds = [0, ...cuts.sort((a, b) => a - b), data.length];
          let saved = ResumableSha256.create().serialize();
          for (let i = 1; i < bounds.length; i++) {
            const hasher = ResumableSha256.restore(saved);
            expect(hasher).not.toBeNull();
            saved = hasher!.update(data.subarray(bounds[i - 1], bounds[i])).serialize();
          }
          expect(ResumableSha256.restore(saved)!.digestHex()).toBe(expected);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('digestHex leaves the state usable; interleaved hashers do not disturb each other', async () => {
    const a = ResumableSha256.create().update(new TextEncoder().encode('ab'));
    const b = ResumableSha256.create().update(new TextEncoder().encode('xyz'));
    expect(a.digestHex()).toBe(await sha256Hex('ab'));
    a.update(new TextEncoder().encode('c'));
    expect(a.digestHex()).toBe(await sha256Hex('abc'));
    expect(b.digestHex()).toBe(await sha256Hex('xyz'));
  });

  it('refuses states it did not write', () => {
    const good = ResumableSha256.create().serialize();
    expect(ResumableSha256.restore('')).toBeNull();
    expect(ResumableSha256.restore('invalid')).toBeNull();
    expect(ResumableSha256.restore(good.replace(/^hw-sha256-[0-9a-f]+:/, 'hw-sha256-00000000:'))).toBeNull();
    expect(ResumableSha256.restore(`${good.slice(0, -8)}`)).toBeNull();
    expect(ResumableSha256.restore(`${good}AAAA`)).toBeNull();
    expect(ResumableSha256.restore(`${good.slice(0, -4)}!!!!`)).toBeNull();
  });
});
