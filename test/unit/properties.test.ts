/**
 * Property tests with fast-check over every /v1 route: generated bad digests, names, tags,
 * selectors, paths (traversal, absolute, NUL, control characters, Unicode tricks, overlong
 * percent-encodings), refs, upload ids, part numbers, query parameters and JSON bodies (broken
 * syntax, wrong types, missing fields, huge numbers, deep nesting, `__proto__` keys). Every case
 * must answer 4xx with the error code of its class (docs/API.md), never 5xx; afterwards R2 holds no
 * key outside the documented layout (README "Storage layout"). Fixed seed, counts printed.
 *
 * The classes are written from the contract, not read from src/: a grammar oracle below decides
 * what is valid, so a generated value that happens to be valid is dropped, never "expected".
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { toHex } from '../../src/lib/digest';
import { sendWith } from '../helpers/faults';
import { BASE, testEnv } from '../helpers/http';
import { uniqueName } from '../helpers/registry';

const SEED = 20_261_126;
const RUNS = 32;

// The contract's grammars (docs/API.md "Conventions").
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const SEGMENT = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REF =
  /^[a-z0-9][a-z0-9._-]{0,63}\/[a-z0-9][a-z0-9._-]{0,63}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@([1-9]\d{0,15}|sha256:[0-9a-f]{64}))$/;
/** README "Storage layout": the only keys R2 may hold. */
const R2_LAYOUT = /^blobs\/sha256\/[0-9a-f]{64}$/;

const hex = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });
const digest = hex(64, 64).map((h) => `sha256:${h}`);

/** Characters that look harmless, or are invisible, or change meaning after normalisation. */
const TRICKS = [
  '\u202e', // RIGHT-TO-LEFT OVERRIDE
  '\u200b', // ZERO WIDTH SPACE
  '\u0301', // COMBINING ACUTE ACCENT
  '\uff0e', // FULLWIDTH FULL STOP
  '\uff0f', // FULLWIDTH SOLIDUS
  '\uff1a', // FULLWIDTH COLON
  '\u0430', // CYRILLIC SMALL LETTER A
  '\uff41', // FULLWIDTH LATIN SMALL LETTER A
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\ufeff',
  '\ud800', // a lone surrogate
  '\n',
  ' ',
  '%',
  '/',
  '\\',
  ':',
  '@',
  'e\u0301',
];
const trick = fc.constantFrom(...TRICKS);
/** `base` with one trick inserted somewhere. */
const withTrick = (base: fc.Arbitrary<string>) =>
  fc
    .tuple(base, trick, fc.nat())
    .map(([s, t, at]) => s.slice(0, at % (s.length + 1)) + t + s.slice(at % (s.length + 1)));

const badDigest = fc
  .oneof(
    fc.string(),
    hex(0, 63).map((h) => `sha256:${h}`),
    hex(65, 80).map((h) => `sha256:${h}`),
    hex(64, 64).map((h) => `sha256:${h.toUpperCase()}`),
    fc
      .tuple(
        fc.constantFrom('sha512:', 'SHA256:', 'sha256', 'sha-256:', 'sha256\uff1a', ' sha256:', 'md5:'),
        hex(64, 64),
      )
      .map(([p, h]) => p + h),
    withTrick(digest),
  )
  .filter((s) => !DIGEST.test(s));

const okSegment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,12}$/);
const badSegment = fc
  .oneof(
    fc.string({ minLength: 1 }),
    fc.stringMatching(/^[A-Z][a-zA-Z0-9]{0,10}$/),
    fc.stringMatching(/^[._-][a-z0-9]{0,10}$/),
    fc.string({ unit: fc.constantFrom(...'ab09'), minLength: 65, maxLength: 80 }),
    withTrick(okSegment),
  )
  .filter((s) => s.length > 0 && !SEGMENT.test(s));

/** Bad as a tag, and read as a tag in a version URL (not digits, not `sha256:`). */
const badTag = fc
  .oneof(
    fc.string({ minLength: 1 }),
    fc.stringMatching(/^[.-][A-Za-z0-9]{0,10}$/),
    fc.string({ unit: fc.constantFrom(...'aZ_9'), minLength: 129, maxLength: 140 }),
    withTrick(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,12}$/)),
  )
  .filter((s) => s.length > 0 && !TAG.test(s) && !/^\d+$/.test(s) && !s.startsWith('sha256:'));
/** Digits that are no version number: a tag may not be one (it would read as a number). */
const digitsOnly = fc.oneof(
  fc.constant('0'),
  fc.stringMatching(/^0\d{1,5}$/),
  fc.stringMatching(/^[1-9]\d{0,20}$/),
);
const badNumber = fc.oneof(
  fc.constant('0'),
  fc.stringMatching(/^0\d{1,5}$/),
  fc.stringMatching(/^[1-9]\d{16,20}$/),
);

const okPath = fc.array(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,10}$/), {
  minLength: 1,
  maxLength: 4,
});
const badPath = fc.oneof(
  // traversal and dot segments
  fc
    .tuple(okPath, fc.constantFrom('..', '.'), fc.nat())
    .map(([segs, dot, at]) =>
      [...segs.slice(0, at % (segs.length + 1)), dot, ...segs.slice(at % (segs.length + 1))].join('/'),
    ),
  okPath.map((s) => `/${s.join('/')}`), // absolute
  okPath.map((s) => `${s.join('//')}//x`), // empty segment
  okPath.map((s) => `${s.join('/')}/`),
  fc
    .tuple(okPath, fc.constantFrom('\u0000', '\u0001', '\n', '\r', '\t', '\u001b', '\u007f', '\\'), fc.nat())
    .map(([s, c, at]) => {
      const p = s.join('/');
      return p.slice(0, at % (p.length + 1)) + c + p.slice(at % (p.length + 1));
    }),
  // NFC/NFD twins: the decomposed spelling of a name with accents is refused, not stored twice
  fc
    .tuple(fc.constantFrom('é', 'ñ', 'Å', 'ö', 'ế', '한', 'ǆ̌'), okPath)
    .map(([c, s]) => `${c}${s.join('/')}`.normalize('NFD')),
  fc.string({ unit: fc.constantFrom(...'ab/'), minLength: 1025, maxLength: 1100 }),
  fc.string({ unit: fc.constantFrom(...'ab'), minLength: 256, maxLength: 300 }),
  fc.constant(''),
);

const badRef = fc
  .oneof(
    fc.string(),
    fc.tuple(badSegment, okSegment).map(([ns, n]) => `${ns}/${n}:latest`),
    fc.tuple(okSegment, badSegment).map(([ns, n]) => `${ns}/${n}@1`),
    badTag.map((t) => `acme/x:${t}`),
    fc.oneof(badNumber, badDigest, badTag).map((s) => `acme/x@${s}`),
    fc.constantFrom(
      'acme/x',
      'acme/x:',
      'acme/x@',
      'a/b/c:latest',
      'acme:latest',
      '/acme/x:latest',
      'acme//x@1',
    ),
    withTrick(fc.constant('acme/x:latest')),
  )
  .filter((s) => !REF.test(s));

/** Percent-encoded UTF-8 that no decoder may accept: overlong `.` and `/`, a surrogate, 0xFF. */
const OVERLONG = ['%C0%AE%C0%AE', '%E0%80%AE', '%C0%AF', 'a%C0%AFb', '%ED%A0%80', '%FF'];

/** Lone surrogates cannot be percent-encoded: they become U+FFFD (String#toWellFormed, ES2024). */
const wellFormed = (v: string) =>
  v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
/** A URL path piece for a value. */
const encode = (v: string) => encodeURIComponent(wellFormed(v));
const encodePath = (v: string) => v.split('/').map(encode).join('/');
const urlPiece = (values: fc.Arbitrary<string>, enc = encode) =>
  fc.oneof({ weight: 5, arbitrary: values.map(enc) }, { weight: 1, arbitrary: fc.constantFrom(...OVERLONG) });

/** What the server answers a version selector with (docs/API.md: a number, a tag or a digest). */
function selectorCode(piece: string): string {
  let v = piece;
  try {
    v = decodeURIComponent(piece);
  } catch {
    // an undecodable piece reaches the route as it is
  }
  return v.startsWith('sha256:') ? 'DIGEST_INVALID' : /^\d+$/.test(v) ? 'BAD_REQUEST' : 'TAG_INVALID';
}

// ---- requests -----------------------------------------------------------------------------

interface Case {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** Acceptable error codes; empty: any 4xx (routes with their own error shape, e.g. Git LFS). */
  expect: string[];
}

interface Entry {
  route: string;
  cls: string;
  cases: fc.Arbitrary<Case>;
  runs?: number;
}

/**
 * The real app over the real bindings, called directly: SELF.fetch gets slower with every request
 * in a long loop here (9 → 60 ms over 300 requests), createApp().fetch stays flat.
 */
const send = sendWith(testEnv);
const stats = new Map<string, { cases: number; rerouted: number }>();
const routesSeen = new Set<string>();
let serverErrors = 0;

async function check(entry: Entry, c: Case): Promise<void> {
  const res = await send(c.path, { method: c.method, body: c.body ?? null, headers: c.headers ?? {} });
  const text = c.method === 'HEAD' ? '' : await res.text();
  const s = stats.get(entry.cls) ?? { cases: 0, rerouted: 0 };
  stats.set(entry.cls, s);
  s.cases++;
  routesSeen.add(entry.route);
  if (res.status >= 500) serverErrors++;
  const context = `${entry.route} [${entry.cls}] ${c.method} ${c.path.slice(0, 300)} ${
    c.body?.slice(0, 300) ?? ''
  } → ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, context).toBeGreaterThanOrEqual(400);
  expect(res.status, context).toBeLessThan(500);
  // A dot segment is resolved by the URL parser before any route sees it: another route answers.
  if (new URL(BASE + c.path).pathname !== c.path.split('?')[0]) {
    s.rerouted++;
    return;
  }
  if (c.method === 'HEAD' || c.expect.length === 0) return;
  const code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  expect(c.expect, context).toContain(code);
}

const A = 'acme/x';
const D = `sha256:${'ab'.repeat(32)}`;
const JSON_TYPE = { 'content-type': 'application/json' };

/** Valid values for the path parameters a case does not target. */
const FILL: Record<string, string> = {
  artifact: A,
  tag: 'latest',
  sel: '1',
  digest: D,
  id: 'upl_nope',
  n: '1',
  path: 'a.txt',
  ref: `${A}:latest`,
};

/**
 * An entry for `spec` ("METHOD /path/{param}…") whose cases put a generated URL piece in place
 * of `{hot}` and valid values everywhere else. The route label is the app's own pattern.
 */
function inPath(
  spec: string,
  hot: string,
  cls: string,
  pieces: fc.Arbitrary<string>,
  code: string | ((piece: string) => string),
  json?: unknown,
): Entry {
  const [method, template] = spec.split(' ') as [string, string];
  const route = `${method === 'HEAD' ? 'GET' : method} ${template
    .replace('{artifact}', ':ns/:name')
    .replace(/\/\{(path|ref)\}/, '/*')
    .replace(/\{(\w+)\}/g, ':$1')}`;
  const body =
    json === undefined
      ? method === 'PUT'
        ? { body: 'bytes' }
        : {}
      : { body: JSON.stringify(json), headers: JSON_TYPE };
  return {
    route,
    cls,
    cases: pieces.map((piece) => ({
      method,
      path: template.replace(/\{(\w+)\}/g, (_m, name: string) => (name === hot ? piece : FILL[name]!)),
      ...body,
      expect: [typeof code === 'string' ? code : code(piece)],
    })),
  };
}

const artifacts = fc
  .tuple(urlPiece(badSegment), fc.boolean())
  .map(([bad, ns]) => (ns ? `${bad}/x` : `acme/${bad}`));
const selectors = urlPiece(
  fc.oneof(
    badTag,
    badNumber,
    badDigest.filter((d) => d.startsWith('sha256:')),
  ),
);
const PUBLISH = { files: [{ path: 'a', digest: D, size: 1 }] };
const METRICS = { metrics: { auc: 1 } };
const MOVE = { digest: D };
const V = '/v1/artifacts/{artifact}';

const badUploadId = fc
  .oneof(
    fc.string({ minLength: 1 }),
    withTrick(fc.constant('upl_abc')),
    fc.constantFrom('upl_', `upl_${'a'.repeat(65)}`),
  )
  .filter((s) => !/^upl_[\w-]{1,64}$/.test(s));
const badPart = fc
  .oneof(
    fc.integer({ max: 0 }).map(String),
    fc.integer({ min: 10_001 }).map(String),
    fc.double().map(String),
    fc.string({ minLength: 1 }),
  )
  .filter((s) => !(Number.isInteger(Number(s)) && Number(s) >= 1 && Number(s) <= 10_000));

const pathEntries: Entry[] = [
  ...(
    [
      [`GET ${V}`],
      [`GET ${V}/versions`],
      [`POST ${V}/versions`, PUBLISH],
      [`GET ${V}/versions/{sel}`],
      [`GET ${V}/versions/{sel}/files/{path}`],
      [`POST ${V}/versions/{sel}/metrics`, METRICS],
      [`GET ${V}/tags`],
      [`PUT ${V}/tags/{tag}`, MOVE],
      [`DELETE ${V}/tags/{tag}`],
      [`GET ${V}/tags/{tag}/history`],
      [`GET ${V}/tags/{tag}/explain`],
    ] as [string, unknown?][]
  ).map(([spec, json]) => inPath(spec, 'artifact', 'name', artifacts, 'NAME_INVALID', json)),
  ...['GET', 'HEAD', 'PUT'].map((m) =>
    inPath(`${m} /v1/blobs/{digest}`, 'digest', 'digest', urlPiece(badDigest), 'DIGEST_INVALID'),
  ),
  inPath('GET /v1/manifests/{digest}', 'digest', 'digest', urlPiece(badDigest), 'DIGEST_INVALID'),
  // A tag that can be set may not be all digits either (it would read as a version number).
  inPath(`PUT ${V}/tags/{tag}`, 'tag', 'tag', urlPiece(fc.oneof(badTag, digitsOnly)), 'TAG_INVALID', MOVE),
  ...[`DELETE ${V}/tags/{tag}`, `GET ${V}/tags/{tag}/history`, `GET ${V}/tags/{tag}/explain`].map((spec) =>
    inPath(spec, 'tag', 'tag', urlPiece(badTag), 'TAG_INVALID'),
  ),
  inPath(`GET ${V}/versions/{sel}`, 'sel', 'selector', selectors, selectorCode),
  inPath(`GET ${V}/versions/{sel}/files/{path}`, 'sel', 'selector', selectors, selectorCode),
  inPath(`POST ${V}/versions/{sel}/metrics`, 'sel', 'selector', selectors, selectorCode, METRICS),
  inPath(
    `GET ${V}/versions/{sel}/files/{path}`,
    'path',
    'path',
    urlPiece(badPath, encodePath),
    'PATH_INVALID',
  ),
  ...['resolve', 'lineage', 'impact'].map((r) =>
    inPath(`GET /v1/${r}/{ref}`, 'ref', 'ref', urlPiece(badRef, encodePath), 'REF_INVALID'),
  ),
  ...[
    'GET /v1/uploads/{id}',
    'DELETE /v1/uploads/{id}',
    'POST /v1/uploads/{id}/complete',
    'PUT /v1/uploads/{id}/parts/{n}',
  ].map((spec) => inPath(spec, 'id', 'upload id', urlPiece(badUploadId), 'BAD_REQUEST')),
  inPath('PUT /v1/uploads/{id}/parts/{n}', 'n', 'part number', badPart.map(encode), 'BAD_REQUEST'),
  inPath(
    'DELETE /v1/tokens/{id}',
    'id',
    'token id',
    fc.string({ minLength: 65, maxLength: 100 }).map(encode),
    'BAD_REQUEST',
  ),
];

// ---- query parameters ---------------------------------------------------------------------

const badInt = (min: number, max: number) =>
  fc
    .oneof(
      fc.integer().map(String),
      fc.double().map(String),
      fc.string(),
      fc.constantFrom('1e400', '0x', ' ', ''),
    )
    .filter((s) => !(Number.isInteger(Number(s)) && Number(s) >= min && Number(s) <= max));
const notOneOf = (allowed: string[]) => fc.string().filter((s) => !allowed.includes(s));
const badPrefix = fc
  .oneof(
    fc.string({ minLength: 1 }),
    withTrick(okSegment),
    fc.string({ unit: fc.constantFrom(...'ab/'), minLength: 130, maxLength: 140 }),
  )
  .filter((s) => !/^[a-z0-9._/-]{0,129}$/.test(s));

function inQuery(
  route: string,
  path: string,
  params: Record<string, fc.Arbitrary<string>>,
  code = 'BAD_REQUEST',
): Entry {
  const [method, url] = path.split(' ') as [string, string];
  const one = Object.entries(params).map(([key, values]) => values.map((v) => ({ [key]: v })));
  return {
    route,
    cls: code === 'REF_INVALID' ? 'ref' : 'query',
    cases: fc.oneof(...one).map((query) => ({
      method,
      path: `${url}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, wellFormed(v)]))}`,
      expect: [code],
    })),
  };
}

const limit = badInt(1, 500);
const numericCursor = badInt(1, Number.MAX_SAFE_INTEGER);
const queryEntries: Entry[] = [
  inQuery('GET /v1/artifacts', 'GET /v1/artifacts', {
    limit,
    prefix: badPrefix,
    cursor: fc.string({ minLength: 513, maxLength: 600 }),
  }),
  inQuery('GET /v1/artifacts/:ns/:name/versions', `GET /v1/artifacts/${A}/versions`, {
    limit,
    cursor: numericCursor,
  }),
  inQuery('GET /v1/tokens', 'GET /v1/tokens', {
    limit,
    cursor: fc.string({ minLength: 513, maxLength: 600 }),
  }),
  inQuery('GET /v1/artifacts/:ns/:name/tags/:tag/history', `GET /v1/artifacts/${A}/tags/latest/history`, {
    limit,
    cursor: numericCursor,
  }),
  inQuery('DELETE /v1/artifacts/:ns/:name/tags/:tag', `DELETE /v1/artifacts/${A}/tags/latest`, {
    reason: fc.string({ minLength: 1025, maxLength: 1100 }),
  }),
  inQuery('GET /v1/lineage/*', `GET /v1/lineage/${A}:latest`, {
    direction: notOneOf(['up', 'down', 'both']),
    depth: fc.string().filter((s) => !/^\d{1,3}$/.test(s) || Number(s) > 50),
    format: notOneOf(['json', 'mermaid', 'dot']),
  }),
  inQuery('GET /v1/audit', 'GET /v1/audit', {
    limit,
    artifact: fc
      .oneof(
        badSegment.map((b) => `acme/${b}`),
        badSegment.map((b) => `${b}/x`),
        fc.string({ minLength: 1 }),
      )
      .filter((v) => {
        const [ns = '', name = '', ...rest] = v.split('/');
        return !(rest.length === 0 && SEGMENT.test(ns) && SEGMENT.test(name));
      }),
    actor: fc.oneof(fc.constant(''), fc.string({ minLength: 65, maxLength: 80 })),
    outcome: notOneOf(['ok', 'denied', 'failed']),
  }),
  inQuery(
    'GET /v1/diff',
    'GET /v1/diff',
    {
      from: badRef,
      to: badRef,
    },
    'REF_INVALID',
  ),
];

// ---- JSON bodies --------------------------------------------------------------------------

/** JSON text that JSON.stringify cannot write: spliced in after stringifying. */
class Raw {
  constructor(
    readonly text: string,
    /** What it parses to, as far as type checks go. */
    readonly like: unknown,
  ) {}
}
const HUGE = ['1e400', '-1e400', '9007199254740993', '123456789012345678901234567890'];
const raw = fc.oneof(
  fc.constantFrom(...HUGE).map((t) => new Raw(t, Number.POSITIVE_INFINITY)),
  fc.integer({ min: 64, max: 5_000 }).map((d) => new Raw(`${'['.repeat(d)}1${']'.repeat(d)}`, [])),
  fc.integer({ min: 64, max: 5_000 }).map((d) => new Raw(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`, {})),
);
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (!(v instanceof Raw)) return v;
    raws.push(v.text);
    return `\u0000raw${raws.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'nullable-string' | 'undefined';
interface Field {
  at: (string | number)[];
  kind: Kind;
  /** The code for a value of the wrong JSON type (or missing, when required). */
  typeCode: string;
  required?: boolean;
  /** Values of the right type that are still wrong, and their code. */
  bad?: [fc.Arbitrary<unknown>, string];
  /** An integer field: numbers beyond 2^53 are refused too (not rounded). */
  int?: boolean;
}
const typeOf = (v: unknown): string => {
  const like = v instanceof Raw ? v.like : v;
  return Array.isArray(like) ? 'array' : like === null ? 'null' : typeof like;
};
const accepts = (kind: Kind, v: unknown) =>
  kind === 'nullable-string' ? ['string', 'null'].includes(typeOf(v)) : typeOf(v) === kind;
const anyJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }),
  raw,
);

function setAt(body: unknown, at: (string | number)[], value: unknown, remove = false): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = at.at(-1)!;
  if (remove) delete node[last];
  else node[last] = value;
  return copy;
}

interface JsonRoute {
  route: string;
  /** The schema accepts `{}`: a body read as empty (wrong content type) is valid, not refused. */
  emptyOk?: boolean;
  method: string;
  path: () => string;
  base: Record<string, unknown>;
  fields: Field[];
  headers?: Record<string, string>;
}

/** One mutation of a valid body: a wrong type, a bad value, a missing field, or a `__proto__` decoy. */
function mutations(r: JsonRoute): fc.Arbitrary<{ body: string; code: string }> {
  return fc.constantFrom(...r.fields).chain((f) => {
    const options: fc.Arbitrary<{ body: string; code: string }>[] = [
      anyJson
        .filter((v) => !accepts(f.kind, v))
        .map((v) => ({ body: toJson(setAt(r.base, f.at, v)), code: f.typeCode })),
    ];
    if (f.kind === 'number') {
      const huge = f.int ? HUGE : HUGE.filter((t) => !Number.isFinite(Number(t)));
      const values = fc.constantFrom(...huge).map((t) => new Raw(t, Number(t)));
      options.push(values.map((v) => ({ body: toJson(setAt(r.base, f.at, v)), code: f.typeCode })));
    }
    if (f.bad) {
      const [values, code] = f.bad;
      options.push(values.map((v) => ({ body: toJson(setAt(r.base, f.at, v)), code })));
    }
    if (f.required) {
      const without = setAt(r.base, f.at, undefined, true) as Record<string, unknown>;
      options.push(fc.constant({ body: toJson(without), code: f.typeCode }));
      if (f.at.length === 1) {
        // A prototype key must never stand in for a missing field.
        const decoy = `{"__proto__":${JSON.stringify({ [f.at[0]!]: r.base[f.at[0] as string] })},${toJson(without).slice(1)}`;
        options.push(fc.constant({ body: decoy.replace(',}', '}'), code: f.typeCode }));
      }
    }
    return fc.oneof(...options);
  });
}

const notJson = fc.oneof(
  fc.string().filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc.constantFrom("{'a':1}", '{"a":1,}', 'NaN', '{"a":01}', '{"a" 1}', '', '\u0000', '{"a":"\\x41"}', '[1,]'),
);

/** Our own oracle for JSON-level hazards: nesting past 64 levels, lone surrogates, "__proto__" keys. */
function unsafeJson(text: string): boolean {
  const stack: [unknown, number][] = [[JSON.parse(text), 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string' && wellFormed(v) !== v) return true;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= 64) return true;
    for (const [key, child] of Object.entries(v)) {
      if (key === '__proto__' || wellFormed(key) !== key) return true;
      stack.push([child, depth + 1]);
    }
  }
  return false;
}

function jsonEntries(r: JsonRoute): Entry[] {
  const text = JSON.stringify(r.base);
  const send = (body: string, code: string, headers: Record<string, string> = JSON_TYPE): Case => ({
    method: r.method,
    path: r.path(),
    body,
    headers: { ...headers, ...r.headers },
    expect: code ? [code] : [],
  });
  const lfs = r.route.startsWith('POST /lfs');
  return [
    {
      route: r.route,
      cls: 'json syntax',
      cases: fc
        .oneof(
          notJson,
          fc.nat(text.length - 1).map((n) => text.slice(0, n)),
        )
        .map((b) => send(b, lfs ? '' : 'BAD_REQUEST')),
    },
    {
      route: r.route,
      cls: 'json top level',
      cases: fc
        .oneof(fc.json(), fc.constantFrom('null', '[]', '1', '"x"', 'true', '[{}]'))
        .filter((b) => typeOf(JSON.parse(b)) !== 'object')
        .map((b) => send(b, lfs ? '' : 'BAD_REQUEST')),
    },
    ...(r.emptyOk
      ? []
      : [
          {
            route: r.route,
            cls: 'content type',
            cases: fc
              .constantFrom(
                'text/plain',
                'application/x-www-form-urlencoded',
                'multipart/form-data; boundary=x',
                'application/jsonp',
                'text/json',
              )
              .map((type) => send(text, lfs ? '' : 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': type })),
          },
        ]),
    {
      route: r.route,
      cls: 'json fields',
      runs: RUNS * 4,
      // A body that is unsafe as JSON (too deep, a lone surrogate, a "__proto__" key) may be refused
      // as such, before its fields are read: BAD_REQUEST then, instead of the field's own code.
      cases: mutations(r).map((m) => {
        const c = send(m.body, lfs ? '' : m.code);
        return c.expect.length > 0 && unsafeJson(m.body) ? { ...c, expect: [...c.expect, 'BAD_REQUEST'] } : c;
      }),
    },
  ];
}

const str = (re: RegExp) => fc.string().filter((s) => !re.test(s));

/** A field at a dotted path ("files.0.size"); its wrong type answers `code` (BAD_REQUEST). */
function field(
  at: string,
  kind: Kind,
  o: { code?: string; required?: boolean; int?: boolean; bad?: fc.Arbitrary<unknown>; badCode?: string } = {},
): Field {
  const typeCode = o.code ?? 'BAD_REQUEST';
  return {
    at: at.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
    kind,
    typeCode,
    ...(o.required ? { required: true } : {}),
    ...(o.int ? { int: true } : {}),
    ...(o.bad ? { bad: [o.bad, o.badCode ?? typeCode] as [fc.Arbitrary<unknown>, string] } : {}),
  };
}
const digestField = (at: string, required = true) =>
  field(at, 'string', { code: 'DIGEST_INVALID', required, bad: badDigest });
const pathField = (at: string) =>
  field(at, 'string', { required: true, bad: badPath, badCode: 'PATH_INVALID' });
const MiB = 1024 * 1024;

function jsonRoute(
  spec: string,
  base: Record<string, unknown>,
  fields: Field[],
  extra: Partial<JsonRoute> = {},
) {
  const [method, template] = spec.split(' ') as [string, string];
  const path = template.replace('{artifact}', A).replace(/\{(\w+)\}/g, (_m, name: string) => FILL[name]!);
  const route = `${method} ${template.replace('{artifact}', ':ns/:name').replace(/\{(\w+)\}/g, ':$1')}`;
  return { route, method, path: () => path, base, fields, ...extra } satisfies JsonRoute;
}

const JSON_ROUTES: JsonRoute[] = [
  jsonRoute('POST /v1/blobs/check', { digests: [D] }, [
    field('digests', 'array', { required: true }),
    digestField('digests.0'),
  ]),
  jsonRoute('POST /v1/uploads', { digest: D, size: 10, partSize: 5 * MiB }, [
    digestField('digest'),
    field('size', 'number', {
      required: true,
      int: true,
      bad: fc.oneof(fc.integer({ max: 0 }), fc.constant(1.5)),
    }),
    field('partSize', 'number', { int: true, bad: fc.integer({ min: -10, max: 5 * MiB - 1 }) }),
  ]),
  jsonRoute(
    'POST /v1/tokens',
    { name: 't', scopes: ['read'], namespaces: ['acme'], expiresAt: '2099-01-01T00:00:00Z' },
    [
      field('name', 'string', { required: true, bad: fc.constantFrom('', '   ', 'n'.repeat(65)) }),
      field('scopes', 'array', { required: true, bad: fc.constantFrom([], ['root'], ['read', 'x']) }),
      field('scopes.0', 'string', { bad: notOneOf(['read', 'write', 'promote', 'admin']) }),
      field('namespaces.0', 'string', { code: 'NAME_INVALID', bad: badSegment }),
      field('expiresAt', 'string', {
        bad: fc.constantFrom('2000-01-01T00:00:00Z', 'tomorrow', '2099-13-01T00:00:00Z', ''),
      }),
    ],
  ),
  jsonRoute(
    `POST ${V}/versions`,
    {
      kind: 'model',
      files: [{ path: 'a.bin', digest: D, size: 1 }],
      inputs: [{ ref: 'acme/x:latest', role: 'training' }],
      code: { repo: 'https://git.example/x', commit: 'a'.repeat(40) },
      environment: { lockfiles: [{ path: 'requirements.txt', digest: D }] },
      params: { lr: 0.1 },
      metrics: { auc: 0.5 },
      labels: { team: 'x' },
      tags: ['latest'],
    },
    [
      field('kind', 'string', { bad: notOneOf(['dataset', 'model', 'other']) }),
      field('files', 'array', { required: true }),
      pathField('files.0.path'),
      digestField('files.0.digest'),
      field('files.0.size', 'number', {
        required: true,
        int: true,
        bad: fc.oneof(fc.integer({ max: -1 }), fc.constant(0.5)),
      }),
      field('inputs.0.ref', 'string', { required: true, bad: badRef, badCode: 'REF_INVALID' }),
      field('inputs.0.role', 'string', { bad: str(/^[a-z0-9][a-z0-9._-]{0,63}$/) }),
      field('code.commit', 'string', { bad: str(/^[0-9a-f]{40}([0-9a-f]{24})?$/) }),
      pathField('environment.lockfiles.0.path'),
      digestField('environment.lockfiles.0.digest'),
      field('params', 'object'),
      field('metrics.auc', 'number'),
      field('labels.team', 'string'),
      field('tags', 'array'),
      field('tags.0', 'string', { code: 'TAG_INVALID', bad: fc.oneof(badTag, digitsOnly) }),
    ],
    // A fresh artifact per case: were a case ever accepted, it could not collide with another.
    { path: () => `/v1/artifacts/${uniqueName('acme', 'prop')}/versions` },
  ),
  jsonRoute(`POST ${V}/versions/{sel}/metrics`, METRICS, [
    field('metrics', 'object', { required: true, bad: fc.constant({}) }),
    field('metrics.auc', 'number'),
  ]),
  jsonRoute(`PUT ${V}/tags/{tag}`, { digest: D, expect: D, reason: 'r' }, [
    digestField('digest'),
    { ...digestField('expect', false), kind: 'nullable-string' },
    field('reason', 'string', { bad: fc.string({ minLength: 1025, maxLength: 1100 }) }),
  ]),
];

/** Every field optional: only wrong types and values, never a valid body that would run GC. */
const GC_ROUTE = jsonRoute(
  'POST /v1/admin/gc',
  { dryRun: true, orphanPages: 0, maxBlobs: 1 },
  [
    field('dryRun', 'boolean'),
    field('orphanPages', 'number', {
      int: true,
      bad: fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 101 })),
    }),
    field('maxBlobs', 'number', {
      int: true,
      bad: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 100_001 })),
    }),
    field('sweep', 'undefined'), // an unknown option
  ],
  { emptyOk: true },
);

/** Git LFS answers in its own error shape ({"message"}): any 4xx, never a 5xx. */
const LFS_ROUTE = jsonRoute(
  'POST /lfs/{artifact}/objects/batch',
  { operation: 'download', objects: [{ oid: 'ab'.repeat(32), size: 1 }] },
  [
    field('operation', 'string', { code: '', required: true }),
    field('objects', 'array', { code: '', required: true }),
    field('objects.0.oid', 'string', { code: '' }),
    field('objects.0.size', 'number', { code: '' }),
  ],
  { headers: { accept: 'application/vnd.git-lfs+json' } },
);

/** The routes the app serves, as `METHOD /path`, to show which ones the cases reach. */
const appRoutes = [
  ...new Set(
    createApp()
      .routes.filter((r) => r.method !== 'ALL' && (r.path.startsWith('/v1') || r.path.startsWith('/lfs')))
      .map((r) => `${r.method} ${r.path}`),
  ),
];
// Routes other engineers are adding: covered once they exist.
const LATE = new Set(['GET /v1/audit', GC_ROUTE.route, LFS_ROUTE.route]);

const ENTRIES: Entry[] = [
  ...pathEntries,
  ...queryEntries,
  ...[...JSON_ROUTES, GC_ROUTE, LFS_ROUTE].flatMap(jsonEntries),
].filter((e) => !LATE.has(e.route) || appRoutes.includes(e.route));

describe('property: bad input to every route → 4xx with the right code, never 5xx', () => {
  // Legitimate writes first, so the layout check at the end looks at real keys, not an empty bucket.
  const written: string[] = [];
  beforeAll(async () => {
    const bytes = new TextEncoder().encode(`property seed ${Math.random()}`);
    const digest = `sha256:${toHex(await crypto.subtle.digest('SHA-256', bytes))}`;
    expect((await send(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes })).status).toBe(201);
    const res = await send(`/v1/artifacts/${uniqueName('acme', 'prop')}/versions`, {
      method: 'POST',
      json: { files: [{ path: 'seed.txt', digest, size: bytes.byteLength }] },
    });
    expect(res.status).toBe(201);
    written.push(digest, ((await res.json()) as { digest: string }).digest);
  });

  afterAll(() => {
    const total = [...stats.values()].reduce((n, s) => n + s.cases, 0);
    const rerouted = [...stats.values()].reduce((n, s) => n + s.rerouted, 0);
    const uncovered = appRoutes.filter((r) => !routesSeen.has(r) && r !== 'GET /v1/health');
    console.log(
      `properties: ${total} cases over ${routesSeen.size} routes (seed ${SEED}): 100% 4xx with the expected code, ` +
        `${serverErrors} 5xx; ${rerouted} rerouted by URL dot-segment normalisation (any 4xx accepted)\n` +
        [...stats].map(([cls, s]) => `  ${cls}: ${s.cases}`).join('\n') +
        (uncovered.length > 0 ? `\n  routes without bad-input cases yet: ${uncovered.join(', ')}` : ''),
    );
  });

  for (const entry of ENTRIES) {
    it(`${entry.route}: bad ${entry.cls}`, async () => {
      await fc.assert(
        fc.asyncProperty(entry.cases, (c) => check(entry, c)),
        { seed: SEED, numRuns: entry.runs ?? RUNS },
      );
    });
  }

  it('every case targets a route the app serves', () => {
    expect(ENTRIES.map((e) => e.route).filter((r) => !appRoutes.includes(r))).toEqual([]);
  });

  it('R2 holds no key outside the documented layout', async () => {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await testEnv.BLOBS.list({ cursor, limit: 1000 });
      keys.push(...page.objects.map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    console.log(`properties: after the run R2 holds ${keys.length} keys, all blobs/sha256/<64 hex>`);
    expect(keys.filter((k) => !R2_LAYOUT.test(k))).toEqual([]);
    for (const d of written) expect(keys).toContain(`blobs/sha256/${d.slice(7)}`);
  });
});

/**
 * Regressions for the bugs the generators found (each was a 500 or a silent change; fixed in
 * src/validation.ts). Each posts to a fresh artifact with no files, so nothing else can refuse.
 */
describe('property findings', () => {
  const post = (body: string) =>
    send(`/v1/artifacts/${uniqueName('acme', 'finding')}/versions`, {
      method: 'POST',
      body,
      headers: JSON_TYPE,
    });

  // src/schemas/publish.ts jsonValue is a recursive z.lazy union: zod recurses once per level and
  // overflows the stack near 1,000 levels → RangeError → 500. Fixed: validate() refuses JSON nested
  // deeper than 64 before zod (jsonProblem in src/validation.ts).
  it('params nested 5,000 deep → 400 BAD_REQUEST, not 500', async () => {
    const res = await post(`{"files":[],"params":{"a":${'['.repeat(5000)}1${']'.repeat(5000)}}}`);
    expect(res.status).toBe(400);
  });

  // A lone surrogate is valid JSON ("\ud800") but canonicalize (RFC 8785) throws on it in
  // encodeManifest (src/services/manifest.ts) → 500. Fixed: validate() refuses strings and keys
  // that are not well-formed UTF-16 in every JSON body.
  it('a lone surrogate in a manifest string (path, params, code.repo) → 400, not 500', async () => {
    const bytes = new TextEncoder().encode(`surrogate ${Math.random()}`);
    const digest = `sha256:${toHex(await crypto.subtle.digest('SHA-256', bytes))}`;
    expect((await send(`/v1/blobs/${digest}`, { method: 'PUT', body: bytes })).status).toBe(201);
    const bodies = [
      `{"files":[{"path":"a\\ud800b","digest":"${digest}","size":${bytes.byteLength}}]}`,
      '{"files":[],"params":{"a":"x\\udc00"}}',
      '{"files":[],"code":{"repo":"\\ud800"}}',
    ];
    const statuses = [];
    for (const body of bodies) statuses.push((await post(body)).status);
    expect(statuses).toEqual([400, 400, 400]); // today: [500, 500, 500]
  });

  // README: paths have "no control characters"; pathProblem (src/validation.ts) refuses only C0
  // and DEL. C1 controls (U+0080–U+009F, e.g. NEL) and the bidi controls used to spoof file names
  // (U+202A–U+202E, U+2066–U+2069, "Trojan Source") passed. Fixed in pathProblem.
  it('C1 and bidi control characters in a path → 400 PATH_INVALID', async () => {
    const paths = ['a\u0085b', 'a\u009bb', 'invoice\u202efdp.exe', 'a\u2066b'];
    const statuses = [];
    for (const path of paths)
      statuses.push((await post(JSON.stringify({ files: [{ path, digest: D, size: 1 }] }))).status);
    // Today 422 BLOB_UNKNOWN: the path passed validation and only the (unknown) digest was refused.
    expect(statuses).toEqual([400, 400, 400, 400]);
  });

  // zod's z.record assigns `out[key] = value`, and assigning "__proto__" sets the prototype instead
  // of a key: params {"__proto__":{…}} vanished from the manifest without a word (201). Fixed:
  // validate() refuses "__proto__" keys in every JSON body (400).
  it('a "__proto__" key in params is refused or kept, never silently dropped', async () => {
    const res = await post('{"files":[],"params":{"__proto__":{"lr":1},"b":2}}');
    if (res.status === 400) return;
    const { digest } = (await res.json()) as { digest: string };
    const manifest = (await (await send(`/v1/manifests/${digest}`)).text()) as string;
    expect(manifest).toContain('"__proto__"');
  });
});
