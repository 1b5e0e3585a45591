/**
 * The CLI and the server read refs and names alike (issue: the CLI accepted `acme/m@0`, which
 * the server refuses). Generated refs, near misses included (`@0`, `@01`, 65-character names,
 * uppercase, 129-character tags, short or uppercase digests, stray `/`, `:` and `@`), go to the
 * CLI's parser (cli/refs.ts), the server's zod schemas (src/validation.ts) and an oracle written
 * from docs/API.md "Conventions"; all three must give the same verdict. Fixed seed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { register } from 'tsx/esm/api';

register();
const { artifactName, normalizeRef, splitTagRef } = await import('../../cli/refs.ts');
const { artifactParams, refSchema, selectorSchema } = await import('../../src/validation.ts');

const SEED = 20_261_126;
const RUNS = 3000;

// The oracle: docs/API.md "Conventions", spelled out here rather than imported.
const SEGMENT = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const isNumber = (s) => /^[1-9]\d*$/.test(s) && Number.isSafeInteger(Number(s));

function oracle(ref) {
  const m = /^([^/]*)\/([^/]*?)(?::(.*)|@(.*))$/s.exec(ref);
  if (!m) return false;
  const [, ns, name, tag, immutable] = m;
  if (!SEGMENT.test(ns) || !SEGMENT.test(name)) return false;
  if (tag !== undefined) return TAG.test(tag);
  return isNumber(immutable) || DIGEST.test(immutable);
}

const cliAccepts = (ref) => {
  try {
    normalizeRef(ref);
    return true;
  } catch (err) {
    assert.equal(err.exitCode, 2, `${JSON.stringify(ref)}: a usage error`);
    return false;
  }
};
const serverAccepts = (ref) => refSchema.safeParse(ref).success;

const chars = (alphabet, min, max) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const hex = (n) => chars('0123456789abcdef', n, n);

// Valid values weigh more, so about half the refs are valid and half are near misses.
const segment = fc.oneof(
  {
    arbitrary: chars(LOWER, 1, 1).chain((first) => chars(`${LOWER}._-`, 0, 63).map((rest) => first + rest)),
    weight: 12,
  },
  chars(`${LOWER}._-`, 64, 66), // at and over the 64-character limit
  chars(`${LOWER}ABCXYZ`, 1, 8), // uppercase
  fc.constantFrom('', '.', '-', '_a', '.a', 'a b', 'a%2f', 'ａ', 'a\u0301', 'a\n'),
);
const tag = fc.oneof(
  {
    arbitrary: chars(`${LOWER}ABZ_`, 1, 1).chain((first) =>
      chars(`${LOWER}ABZ._-`, 0, 127).map((r) => first + r),
    ),
    weight: 4,
  },
  chars(`${LOWER}._-`, 127, 130),
  fc.constantFrom('', '.x', '-x', 'latest', '007', 'a:b', 'a@b', 'a/b', 'prod ', 'é'),
);
const number = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 10_000 }).map(String), weight: 3 },
  fc.constantFrom('0', '00', '01', '007', '-1', '+1', '1e3', '1.0', ' 1', '1 ', '0x1'),
  fc.constantFrom('9007199254740991', '9007199254740992', '99999999999999999999'),
  chars('0123456789', 1, 20),
);
const digest = fc.oneof(
  { arbitrary: hex(64).map((h) => `sha256:${h}`), weight: 4 },
  fc.constantFrom(63, 65).chain((n) => hex(n).map((h) => `sha256:${h}`)),
  hex(64).map((h) => `sha256:${h.toUpperCase()}`),
  hex(64).map((h) => `sha512:${h}`),
  hex(64),
);
const selector = fc.oneof(
  { arbitrary: tag.map((t) => `:${t}`), weight: 3 },
  { arbitrary: number.map((n) => `@${n}`), weight: 3 },
  { arbitrary: digest.map((d) => `@${d}`), weight: 3 },
  tag.map((t) => `@${t}`),
  number.map((n) => `:${n}`),
  fc.constantFrom('', ':', '@', '@@1', ':a:b', ':a@1', '/x:a'),
);
const ref = fc.tuple(segment, segment, selector).map(([ns, name, sel]) => `${ns}/${name}${sel}`);

test('the CLI, the server and the documented grammar agree on every generated ref', () => {
  const seen = { valid: 0, invalid: 0 };
  fc.assert(
    fc.property(ref, (raw) => {
      const expected = oracle(raw);
      seen[expected ? 'valid' : 'invalid']++;
      assert.equal(serverAccepts(raw), expected, `server on ${JSON.stringify(raw)}`);
      // A bare ns/name is the CLI's shorthand for ns/name:latest; everything else is read as is.
      const bare = /^[^/:@]*\/[^/:@]*$/.test(raw) && oracle(`${raw}:latest`);
      assert.equal(cliAccepts(raw), expected || bare, `CLI on ${JSON.stringify(raw)}`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // Both sides of the line were exercised, not just one.
  assert.ok(seen.valid > RUNS / 10 && seen.invalid > RUNS / 10, JSON.stringify(seen));
});

test('version numbers: 1 and up, no leading zero, no sign, within 2^53 (the CLI once took @0)', () => {
  const cases = {
    'acme/m@1': true,
    'acme/m@42': true,
    'acme/m@9007199254740991': true,
    'acme/m@0': false,
    'acme/m@01': false,
    'acme/m@007': false,
    'acme/m@-1': false,
    'acme/m@+1': false,
    'acme/m@9007199254740992': false,
    'acme/m@1e3': false,
  };
  for (const [raw, valid] of Object.entries(cases)) {
    assert.equal(serverAccepts(raw), valid, `server on ${raw}`);
    assert.equal(cliAccepts(raw), valid, `CLI on ${raw}`);
    // A version URL's selector reads numbers the same way (an all-digit string is never a tag).
    const sel = raw.slice('acme/m@'.length);
    if (/^\d+$/.test(sel)) assert.equal(selectorSchema.safeParse(sel).success, valid, `selector ${sel}`);
  }
});

test('artifact names: the CLI takes exactly what the server route params take', () => {
  fc.assert(
    fc.property(segment, segment, (ns, name) => {
      const server = artifactParams.safeParse({ ns, name }).success;
      let cli = true;
      try {
        artifactName(`${ns}/${name}`);
      } catch {
        cli = false;
      }
      assert.equal(cli, server, JSON.stringify(`${ns}/${name}`));
      assert.equal(server, SEGMENT.test(ns) && SEGMENT.test(name));
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('splitTagRef: a tag ref splits, other refs keep no tag, malformed ones are usage errors', () => {
  assert.deepEqual(splitTagRef('acme/m:production'), ['acme/m', 'production']);
  assert.deepEqual(splitTagRef('acme/m:007'), ['acme/m', '007']);
  assert.deepEqual(splitTagRef('acme/m@3'), ['acme/m', null]);
  assert.deepEqual(splitTagRef('acme/m'), ['acme/m', null]);
  for (const bad of ['Acme/m:prod', 'acme/m:', 'acme/m@0', 'acme/m:a@b']) {
    assert.throws(
      () => splitTagRef(bad),
      (err) => err.exitCode === 2,
      bad,
    );
  }
});
