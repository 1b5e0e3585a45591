/**
 * The formats, checked against their specifications' own examples and by properties: DSSE PAE,
 * ECDSA DER <-> raw, model-transparency's resource order and root digest, bundle parsing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/digest';
import { parseBundle, verifyOpened } from '../../src/services/provenance/bundle';
import { fromBase64, pae, toBase64 } from '../../src/services/provenance/dsse';
import { derToRaw, parsePublicKey, rawToDer } from '../../src/services/provenance/keys';
import {
  comparePaths,
  modelRootDigest,
  modelSigningStatement,
} from '../../src/services/provenance/model-signing';
import { encodeStatement } from '../../src/services/provenance/statement';
import { newKey, signBytes } from '../helpers/provenance';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('DSSE pre-authentication encoding', () => {
  it('matches the DSSE spec test vector', () => {
    const out = pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world'));
    expect(text(out)).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });

  it('counts bytes, not characters', () => {
    expect(text(pae('t', new TextEncoder().encode('é')))).toBe('DSSEv1 1 t 2 é');
  });

  it('base64 round-trips any bytes, and accepts the URL-safe alphabet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b64 = toBase64(bytes);
        expect(fromBase64(b64)).toEqual(bytes);
        expect(fromBase64(b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))).toEqual(bytes);
      }),
    );
    expect(fromBase64('not base64!')).toBeNull();
  });
});

describe('ECDSA signature encodings', () => {
  it('raw r||s -> DER -> raw is the identity, and DER is what openssl would parse', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (raw) => {
        const der = rawToDer(raw);
        expect(der[0]).toBe(0x30);
        expect(derToRaw(der)).toEqual(raw);
      }),
    );
  });

  it('a truncated, extended or re-tagged DER signature is refused, never repaired', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.nat(), (raw, n) => {
        const der = rawToDer(raw);
        expect(derToRaw(der.subarray(0, n % der.byteLength))).toBeNull();
        expect(derToRaw(new Uint8Array([...der, 0]))).toBeNull();
        expect(derToRaw(new Uint8Array([0x31, ...der.subarray(1)]))).toBeNull();
      }),
    );
  });
});

describe('model-signing statement (model-transparency v1.0)', () => {
  it('orders resources as Python orders PurePosixPath: by component', () => {
    const paths = ['a.b', 'a/b', 'a', 'b/c', 'a/b/c', 'A'];
    expect([...paths].sort(comparePaths)).toEqual(['A', 'a', 'a/b', 'a/b/c', 'a.b', 'b/c']);
  });

  it('the subject is SHA-256 over the raw file digests in resource order', async () => {
    const d1 = `sha256:${'11'.repeat(32)}`;
    const d2 = `sha256:${'22'.repeat(32)}`;
    const statement = await modelSigningStatement('m', [
      { path: 'z.bin', digest: d2, size: 1 },
      { path: 'a.bin', digest: d1, size: 1 },
    ]);
    const concat = new Uint8Array([...Array(32).fill(0x11), ...Array(32).fill(0x22)]);
    const expected = toHex(await crypto.subtle.digest('SHA-256', concat));
    expect(statement.subject).toEqual([{ name: 'm', digest: { sha256: expected } }]);
    expect(statement.predicate.resources.map((r) => r.name)).toEqual(['a.bin', 'z.bin']);
    expect(await modelRootDigest(statement.predicate.resources)).toBe(expected);
    expect(statement.predicateType).toBe('https://model_signing/signature/v1.0');
    expect(statement.predicate.serialization).toMatchObject({ method: 'files', hash_type: 'sha256' });
  });
});

describe('Sigstore bundles', () => {
  for (const algorithm of ['ecdsa-p256', 'ed25519'] as const) {
    it(`a ${algorithm} bundle verifies with its key and not with another, for any payload`, async () => {
      const key = await newKey(algorithm);
      const other = await newKey(algorithm);
      const pub = (await parsePublicKey(key.publicPem))!;
      const otherPub = (await parsePublicKey(other.publicPem))!;
      expect(pub.keyId).toBe(key.keyId);
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 200 }), async (s) => {
          const payload = encodeStatement({
            _type: 'https://in-toto.io/Statement/v1',
            subject: [],
            predicateType: s,
            predicate: {},
          });
          const bundle = await signBytes(key, payload);
          expect(bundle.verificationMaterial.publicKey.hint).toBe(key.keyId);
          const opened = parseBundle(JSON.parse(JSON.stringify(bundle)));
          if (!opened.ok) throw new Error(opened.reason);
          expect(await verifyOpened(pub, opened)).toBe(true);
          expect(await verifyOpened(otherPub, opened)).toBe(false);
          // Any one flipped payload byte breaks the signature.
          const tampered = { ...opened, payload: opened.payload.slice() };
          tampered.payload[s.length % tampered.payload.length]! ^= 1;
          expect(await verifyOpened(pub, tampered)).toBe(false);
        }),
        { numRuns: 15 },
      );
    });
  }

  it('parseBundle refuses what is not a v0.3 bundle with one signature', async () => {
    const bundle = await signBytes(await newKey(), new TextEncoder().encode('{}'));
    expect(
      parseBundle({ ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1' }),
    ).toMatchObject({
      ok: false,
      reason: 'media-type',
    });
    expect(parseBundle({ junk: true })).toMatchObject({ ok: false, reason: 'malformed' });
    const two = {
      ...bundle,
      dsseEnvelope: {
        ...bundle.dsseEnvelope,
        signatures: [...bundle.dsseEnvelope.signatures, ...bundle.dsseEnvelope.signatures],
      },
    };
    expect(parseBundle(two)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
