import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256OfStream } from '../../src/lib/digest';
import { randomBytes, testEnv } from '../helpers/http';

function chunkedStream(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

describe('sha256OfStream', () => {
  it('matches a one-shot SHA-256 for any bytes and chunking of a plain stream', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        async (bytes, chunk) => {
          expect(await sha256OfStream(chunkedStream(bytes, chunk))).toBe(await sha256Hex(bytes));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches on R2 byte streams around the 1 MiB read size (0, 1, 1 MiB ± 1, 3 MiB + 7 bytes)', async () => {
    for (const size of [0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 7]) {
      const bytes = randomBytes(size);
      const key = `test-only/digest-${size}-${Math.random()}`;
      await testEnv.BLOBS.put(key, bytes);
      const object = await testEnv.BLOBS.get(key);
      expect(await sha256OfStream(object!.body), String(size)).toBe(await sha256Hex(bytes));
      await testEnv.BLOBS.delete(key);
    }
  });
});
