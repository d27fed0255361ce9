import fc from 'fast-check';
import { brotliCompressSync, gzipSync } from 'node:zlib';

/**
 * Bad HTTP requests for any route, built from one valid request per route (a RouteBase) by one mutation each: the
 * fuzz spec (test/e2e/fuzz.e2e-spec.ts) sends them and checks the answers. Every request says what was made wrong
 * (`what`) and whether the API's documented grammar leaves it no way to accept it (`mustRefuse`).
 */

/** Every own property name of Object.prototype, and `prototype`: the names that break a plain-object lookup. */
export const PROTOTYPE_NAMES: readonly string[] = [
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
];

/**
 * Date-times outside the one grammar (RFC 3339 with an offset): other ISO-8601 forms (week, ordinal, basic, comma
 * fraction), days and times that do not exist, expanded years, and strings that only look like date-times. Refused
 * wherever a date-time is read, query parameters included.
 */
export const MALFORMED_DATES: readonly string[] = [
  '2026-W09-1T10:00:00Z',
  '2026-060T10:00:00Z',
  '20260301T100000Z',
  '2026-03-01T10:00:00,5Z',
  '2026-02-30T10:00:00Z',
  '2026-02-29T10:00:00+08:00',
  '2026-13-01T10:00:00Z',
  '2026-00-10T10:00:00Z',
  '2026-03-00T10:00:00Z',
  '2026-03-01T24:00:01Z',
  '2026-03-01T10:60:00Z',
  '2026-03-01T10:00:00+24:00',
  '2026-03-01T10:00:00+08',
  '2026-03-01T10:00:00+0800',
  '2026-03-01T10:00:00',
  '2026-03-01T10Z',
  '2026-03-01 10:00:00Z',
  '2026-03-01',
  '10:00:00Z',
  '+002026-03-01T10:00:00Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '２０２６-03-01T10:00:00Z',
  '2026-03-01T10:00:00.Z',
  '2026-03-01T10:00:00Z ',
  '2026-03-01T10:00:00Z\n',
  '',
];

/** Well-formed care times outside the plausible window (before 2000, or in the future): refused as care times. */
export const IMPLAUSIBLE_CARE_TIMES: readonly string[] = [
  '1900-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '1999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2100-01-01T00:00:00+08:00',
];

/** Control and invisible characters, lone surrogates and direction overrides. */
const NASTY_CHARS = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u2028',
  '\u2029',
  '\u202e',
  '\ufeff',
  '\ufffe',
  '\ud800',
  '\udfff',
];

/** A JSON text put in a body as it is (deep nesting, literal numbers JSON.stringify cannot write). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A body as ordered entries, so a key such as `__proto__` reaches the wire as an own key of the JSON object. */
export type Entries = readonly (readonly [string, unknown])[];

/** A JSON object written from its entries, in order, duplicates and `__proto__` included. */
export class JsonObject {
  constructor(readonly entries: Entries) {}
}

export const objectOf = (entries: Entries): JsonObject => new JsonObject(entries);

export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonObject)
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') return toJson(objectOf(Object.entries(value)));
  return JSON.stringify(value) ?? 'null';
}

/** One route's valid request at seeding time: every bad request of the route is this one with one thing wrong. */
export interface RouteBase {
  /** Real values of each path parameter (seeded ids); one is picked per request. */
  readonly params?: Readonly<Record<string, readonly string[]>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** The route validates its query (a DTO): an unknown or malformed parameter must be refused. */
  readonly query?: Readonly<Record<string, string>>;
  /** The query parameters the route knows (values are mutated); defaults to the keys of `query`. */
  readonly queryKeys?: readonly string[];
  /** The route takes a JSON body (a DTO): a body that breaks its grammar must be refused. */
  readonly body?: Readonly<Record<string, unknown>>;
  /** Body fields that may be left out (null counts as left out for them). */
  readonly optional?: readonly string[];
  /**
   * Body ids given a new suffix on each request (`rs-fuzz0003` → `rs-fuzz0003-417`), so a command that succeeds
   * once per id (a resident's first contract) is accepted every time it is valid, and what it wrongly accepts shows.
   */
  readonly fresh?: readonly string[];
  /** Whole-number body fields whose accepted range is not within 0..10 000 (a UTC offset may be negative). */
  readonly ranges?: Readonly<Record<string, readonly [min: number, max: number]>>;
  /** The route reads the request context (If-Match, Idempotency-Key, X-Consistency, X-Correlation-Id). */
  readonly context?: boolean;
}

export type MutationKind =
  | 'path-id'
  | 'query-key'
  | 'query-value'
  | 'body-wrong-type'
  | 'body-missing'
  | 'body-prototype-key'
  | 'body-prototype-id'
  | 'odd-date'
  | 'deep-nesting'
  | 'huge-string'
  | 'control-chars'
  | 'content-type'
  | 'content-encoding'
  | 'invalid-json'
  | 'header';

export interface BadRequest {
  readonly route: string;
  readonly method: string;
  /** Path with its query, percent-encoded as sent. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  readonly kind: MutationKind;
  /** What was made wrong, for the report. */
  readonly what: string;
  /** No reading of the API's grammar accepts it: a 2xx is a defect. */
  readonly mustRefuse: boolean;
  /** The path parameters and JSON body as sent (when the body is JSON), to see what a 2xx created or named. */
  readonly params: Readonly<Record<string, string>>;
  readonly json: Readonly<Record<string, unknown>> | null;
}

/** A request under construction. */
interface Draft {
  params: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  /** Structured body (entries) or raw bytes; null: no body. */
  body: { entries: [string, unknown][] } | { raw: Buffer } | null;
  what: string;
  kind: MutationKind;
  mustRefuse: boolean;
}

const ID_FIELD = /(Id|^department|^specialty)$/;
const DATE_FIELD = /^(occurredAt|asOf|validAt|at)$/;

/** Care times in the plausible window (from 2000 to now) are the only ones the API may accept. */
function outsideCareWindow(iso: string): boolean {
  const at = Date.parse(iso);
  return !(at >= Date.UTC(2000, 0, 1) && at <= Date.now());
}

const nestedObjects = (depth: number, key = 'a') =>
  new RawJson(`{"${key}":`.repeat(depth) + '1' + '}'.repeat(depth));
const nestedArrays = (depth: number) => new RawJson('['.repeat(depth) + ']'.repeat(depth));

const nastyString = fc
  .array(fc.oneof(fc.constantFrom(...NASTY_CHARS), fc.constantFrom('a', 'Z', '9', '-', '病')), {
    minLength: 1,
    maxLength: 12,
  })
  .filter((chars) => chars.some((c) => NASTY_CHARS.includes(c)))
  .map((chars) => chars.join(''));

const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 90_000 }), fc.constantFrom('x', '病', 'é', '\u0000'))
  .map(([n, c]) => c.repeat(n));

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** Any four-digit year, often one at an edge (of the format, of Date, of the epoch, of the plausible window). */
const year = fc
  .oneof(
    fc.integer({ min: 0, max: 9_999 }),
    fc.constantFrom(0, 1, 99, 999, 1000, 1899, 1900, 1969, 1970, 1999, 9998, 9999),
  )
  .map((y) => pad(y, 4));

/** Years, months, ISO weeks and days, of any year and one step past every bound (periods, `from`, `to`, `year`). */
const periodLike = fc.oneof(
  year,
  fc.tuple(year, fc.integer({ min: 0, max: 13 })).map(([y, m]) => `${y}-${pad(m)}`),
  fc.tuple(year, fc.integer({ min: 0, max: 54 })).map(([y, w]) => `${y}-W${pad(w)}`),
  fc
    .tuple(year, fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${y}-${pad(m)}-${pad(d)}`),
);

/** A date-time and whether it breaks the grammar itself (else it is only outside the care-time window). */
const oddDate = fc.oneof(
  fc.constantFrom(...MALFORMED_DATES).map((value) => ({ value, malformed: true })),
  fc.constantFrom(...IMPLAUSIBLE_CARE_TIMES).map((value) => ({ value, malformed: false })),
  fc
    .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
    .map((d) => d.toISOString())
    .filter(outsideCareWindow)
    .map((value) => ({ value, malformed: /^[+-]/.test(value) })),
);

const wrongTypeFor = (
  value: unknown,
  [min, max]: readonly [number, number] = [0, 10_000],
): fc.Arbitrary<unknown> => {
  const all: fc.Arbitrary<unknown>[] = [
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.constant([]),
    fc.constant({}),
    fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    fc.constantFrom(
      new RawJson('1e999'),
      new RawJson('-1e999'),
      new RawJson('123456789012345678901234567890'),
    ),
    fc.constantFrom('5', '0x10', '1e3', 'true', 'null', ''),
  ];
  return fc.oneof(...all).filter((candidate) => {
    if (typeof value === 'number') {
      // Numbers the field refuses: not an integer, or out of its range (0..10000 unless named). -0 is an integer.
      return !(
        typeof candidate === 'number' &&
        Number.isInteger(candidate) &&
        candidate >= min &&
        candidate <= max
      );
    }
    if (typeof value === 'string') return typeof candidate !== 'string' || candidate === '';
    if (typeof value === 'boolean') return typeof candidate !== 'boolean';
    // A list of codes: an empty list may be a valid one, and a list of short strings may hold codes.
    if (Array.isArray(value)) return !Array.isArray(candidate);
    if (value !== null && typeof value === 'object') {
      return (
        candidate === null ||
        typeof candidate !== 'object' ||
        Array.isArray(candidate) ||
        candidate instanceof RawJson
      );
    }
    return true;
  });
};

/** How the draft's path template is filled and the request is put on the wire. */
export function render(route: string, draft: Draft): BadRequest {
  const [method, template] = route.split(' ') as [string, string];
  const path = template.replace(/:([A-Za-z]+)/g, (_, name: string) =>
    encodeSegment(draft.params[name] ?? ''),
  );
  const query = draft.query.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&');
  let body: Buffer | null = null;
  let json: Record<string, unknown> | null = null;
  if (draft.body && 'entries' in draft.body) {
    body = Buffer.from(toJson(objectOf(draft.body.entries)), 'utf8');
    json = Object.fromEntries(draft.body.entries.filter(([, v]) => !(v instanceof RawJson)));
  } else if (draft.body) body = draft.body.raw;
  return {
    route,
    method,
    path: query ? `${path}?${query}` : path,
    headers: draft.headers,
    body,
    kind: draft.kind,
    what: draft.what,
    mustRefuse: draft.mustRefuse,
    params: draft.params,
    json,
  };
}

/** Percent-encodes every byte but the unreserved ones; a lone surrogate goes as its WTF-8 bytes. */
export function encodeSegment(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (/^[A-Za-z0-9._~-]$/.test(char)) out += char;
    else if (code >= 0xd800 && code <= 0xdfff)
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    else
      out += [...Buffer.from(char, 'utf8')]
        .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
        .join('');
  }
  return out;
}

const JSON_TYPE = 'application/json';

/**
 * The query with `key` set to `value`. `from` and `to` go together and instead of `period` (the other end stays
 * valid), so the bad end reaches the period parser rather than a "period or from/to" refusal.
 */
function withQueryValue(query: readonly [string, string][], key: string, value: string): [string, string][] {
  const rest = query.filter(([k]) => k !== key);
  if (key !== 'from' && key !== 'to') return [...rest, [key, value]];
  const other: [string, string] = key === 'from' ? ['to', '2026-04-01'] : ['from', '2026-03-01'];
  return [...rest.filter(([k]) => k !== 'period' && k !== other[0]), other, [key, value]];
}

function baseDraft(
  base: RouteBase,
  params: Record<string, string>,
  suffix?: number,
): Omit<Draft, 'what' | 'kind' | 'mustRefuse'> {
  const fresh = new Set(suffix === undefined ? [] : (base.fresh ?? []));
  return {
    params: { ...params },
    query: Object.entries(base.query ?? {}),
    headers: {
      ...Object.fromEntries(Object.entries(base.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      ...(base.body ? { 'content-type': JSON_TYPE } : {}),
    },
    body: base.body
      ? {
          entries: Object.entries(base.body).map(([k, v]) => [
            k,
            fresh.has(k) ? `${String(v)}-${suffix}` : v,
          ]),
        }
      : null,
  };
}

type Mutate = (draft: ReturnType<typeof baseDraft>) => Draft;
type Mutation = fc.Arbitrary<Mutate>;

/** The JSON body entries of a draft (an empty object when the route takes none: a body is added). */
const entriesOf = (draft: ReturnType<typeof baseDraft>): [string, unknown][] =>
  draft.body && 'entries' in draft.body
    ? draft.body.entries.map(([k, v]) => [k, v] as [string, unknown])
    : [];

const withJson = (draft: ReturnType<typeof baseDraft>, entries: [string, unknown][]) => ({
  ...draft,
  headers: { ...draft.headers, 'content-type': JSON_TYPE },
  body: { entries },
});

const set = (entries: [string, unknown][], key: string, value: unknown): [string, unknown][] =>
  entries.some(([k]) => k === key)
    ? entries.map(([k, v]) => [k, k === key ? value : v])
    : [...entries, [key, value]];

const show = (value: unknown, max = 80): string => {
  const text =
    value instanceof RawJson ? value.text : typeof value === 'string' ? JSON.stringify(value) : toJson(value);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
};

/** Every mutation that applies to a route, each an arbitrary of "make this draft wrong in one way". */
function mutations(base: RouteBase): fc.WeightedArbitrary<Mutate>[] {
  const hasBody = base.body !== undefined;
  const hasQuery = base.query !== undefined;
  const bodyKeys = Object.keys(base.body ?? {});
  const optional = new Set(base.optional ?? []);
  const queryKeys = base.queryKeys ?? Object.keys(base.query ?? {});
  const paramNames = Object.keys(base.params ?? {});
  const headerNames = Object.keys(base.headers ?? {}).map((h) => h.toLowerCase());
  const stringFields = bodyKeys.filter((k) => typeof base.body![k] === 'string');
  const idFields = bodyKeys.filter((k) => ID_FIELD.test(k));
  const dateFields = [...bodyKeys.filter((k) => DATE_FIELD.test(k))];
  const dateQuery = queryKeys.filter((k) => DATE_FIELD.test(k));
  // Weighted towards what the issue found most: ids, dates, query values of routes with many parameters.
  const out: fc.WeightedArbitrary<Mutate>[] = [];
  const add = (weight: number, ...arbitraries: Mutation[]) =>
    out.push(...arbitraries.map((arbitrary) => ({ weight, arbitrary })));

  if (paramNames.length > 0) {
    const badId = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
      fc.constantFrom(
        ' ',
        '..',
        '.',
        '%',
        'a b',
        'null',
        'undefined',
        'NaN',
        '-1',
        '1e3',
        '病房',
        'ffffffff-ffff-4fff-bfff-ffffffffffff',
        '00000000-0000-0000-0000-000000000000',
      ),
      nastyString,
      fc.integer({ min: 65, max: 12_000 }).map((n) => 'x'.repeat(n)),
      fc.string({ minLength: 1, maxLength: 20 }),
    );
    add(
      2,
      fc.tuple(fc.constantFrom(...paramNames), badId).map(([name, value]) => (draft) => ({
        ...draft,
        params: { ...draft.params, [name]: value },
        kind: 'path-id',
        what: `path ${name} = ${show(value)}`,
        mustRefuse: false,
      })),
    );
  }

  add(
    1,
    fc
      .tuple(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
          fc.constantFrom(
            'patientName',
            'foo',
            '__proto__[polluted]',
            'constructor[prototype][polluted]',
            'a[]',
          ),
        ),
        fc.oneof(fc.constantFrom('1', 'true', '', 'polluted'), fc.string({ maxLength: 8 })),
      )
      .map(([key, value]) => (draft) => ({
        ...draft,
        query: [...draft.query, [key, value]],
        kind: 'query-key',
        what: `query ${key}=${show(value)}`,
        mustRefuse: hasQuery,
      })),
  );

  if (queryKeys.length > 0) {
    const anyValue = fc.oneof(
      fc.constantFrom(...PROTOTYPE_NAMES),
      fc.constantFrom(
        '2026-W99',
        '2026-13',
        '2026-02-30',
        '0000',
        '99999',
        '1900',
        '2026-W00',
        '2026-03-01T',
      ),
      nastyString,
      fc.integer({ min: 100, max: 10_000 }).map((n) => '9'.repeat(n)),
      fc.string({ maxLength: 12 }),
    );
    // Periods and years get period-shaped values most of the time: random text rarely reaches their parser's edges.
    const valueFor = (key: string) =>
      /^(period|from|to|year)$/.test(key)
        ? fc.oneof({ weight: 5, arbitrary: periodLike }, anyValue)
        : anyValue;
    add(
      Math.min(queryKeys.length, 5),
      fc
        .tuple(
          fc.constantFrom(...queryKeys).chain((key) => fc.tuple(fc.constant(key), valueFor(key))),
          fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        )
        .map(([[key, value], twice]) => (draft) => ({
          ...draft,
          query: twice
            ? [...draft.query, [key, value], [key, value]]
            : withQueryValue(draft.query, key, value),
          kind: 'query-value',
          what: `query ${key}=${show(value)}${twice ? ' (twice)' : ''}`,
          mustRefuse: false,
        })),
    );
  }

  if (hasBody) {
    add(
      2,
      fc
        .constantFrom(...bodyKeys)
        .chain((key) => fc.tuple(fc.constant(key), wrongTypeFor(base.body![key], base.ranges?.[key])))
        .map(([key, value]) => (draft) => ({
          ...withJson(draft, set(entriesOf(draft), key, value)),
          kind: 'body-wrong-type',
          what: `body.${key} = ${show(value)}`,
          mustRefuse: !(value === null && optional.has(key)),
        })),
      fc
        .oneof(
          fc.subarray([...bodyKeys], { minLength: 1 }).map((keys) => ({ keys, raw: null as string | null })),
          fc
            .constantFrom('', 'null', '[]', '"occurredAt"', '42', 'true', '{}', '[{}]')
            .map((raw): { keys: string[]; raw: string | null } => ({ keys: [...bodyKeys], raw })),
        )
        .map(({ keys, raw }) => (draft) => ({
          ...(raw === null
            ? withJson(
                draft,
                entriesOf(draft).filter(([k]) => !keys.includes(k)),
              )
            : { ...draft, body: { raw: Buffer.from(raw) } }),
          kind: 'body-missing',
          what: raw === null ? `body without ${keys.join(', ')}` : `body ${raw === '' ? '(empty)' : raw}`,
          mustRefuse: keys.some((k) => !optional.has(k)),
        })),
    );
    if (idFields.length > 0) {
      add(
        2,
        fc
          .tuple(fc.constantFrom(...idFields), fc.constantFrom(...PROTOTYPE_NAMES))
          .map(([key, value]) => (draft) => ({
            ...withJson(draft, set(entriesOf(draft), key, value)),
            kind: 'body-prototype-id',
            what: `body.${key} = ${show(value)}`,
            mustRefuse: false,
          })),
      );
    }
    add(
      1,
      fc
        .tuple(fc.constantFrom(...stringFields), fc.oneof(nastyString, fc.constantFrom(...NASTY_CHARS)))
        .map(([key, value]) => (draft) => ({
          ...withJson(draft, set(entriesOf(draft), key, value)),
          kind: 'control-chars',
          what: `body.${key} = ${show(value)}`,
          mustRefuse: true,
        })),
    );
  }

  add(
    2,
    fc
      .tuple(
        fc.constantFrom(...PROTOTYPE_NAMES),
        fc.oneof(
          fc.constantFrom<unknown>(1, 'x', true, null, [], {}, { polluted: true }, { toString: 'x' }),
          fc.constantFrom(...PROTOTYPE_NAMES).map((inner) => objectOf([[inner, { polluted: true }]])),
        ),
        fc.boolean(),
      )
      .map(([key, value, nested]) => (draft) => {
        const entries = entriesOf(draft);
        // Nested: under an existing object field (a correction's patch), else under a new object.
        const holder = entries.find(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
        const next: [string, unknown][] =
          nested && holder
            ? set(entries, holder[0], objectOf([...Object.entries(holder[1] as object), [key, value]]))
            : nested
              ? [...entries, ['extra', objectOf([[key, value]])]]
              : [...entries, [key, value]];
        return {
          ...withJson(draft, next),
          kind: 'body-prototype-key',
          what: `body ${nested ? `${holder?.[0] ?? 'extra'}.` : ''}${key} = ${show(value)}`,
          mustRefuse: hasBody,
        };
      }),
  );

  if (dateFields.length > 0 || dateQuery.length > 0) {
    const places = [
      ...dateFields.map((k) => ['body', k] as const),
      ...dateQuery.map((k) => ['query', k] as const),
    ];
    add(
      3,
      fc
        .tuple(fc.constantFrom(...places), oddDate)
        .map(([[where, key], { value, malformed }]) => (draft) => ({
          ...(where === 'body'
            ? withJson(draft, set(entriesOf(draft), key, value))
            : { ...draft, query: [...draft.query.filter(([k]) => k !== key), [key, value]] }),
          kind: 'odd-date',
          what: `${where} ${key} = ${show(value)}`,
          // A body's date-times are care times (window checked); asOf/validAt in a query only need the grammar.
          mustRefuse: where === 'body' ? hasBody : hasQuery && malformed,
        })),
    );
  }

  add(
    1,
    fc
      .tuple(
        fc.oneof(
          fc.constant(nestedObjects(5_000)),
          fc.constant(nestedArrays(20_000)),
          fc.constant(nestedObjects(3_000, '__proto__')),
          fc.integer({ min: 33, max: 8_000 }).map((d) => nestedObjects(d)),
          fc.integer({ min: 33, max: 20_000 }).map((d) => nestedArrays(d)),
        ),
        fc.constantFrom<'root' | 'field' | 'new-field'>('root', 'field', 'new-field'),
      )
      .map(([nest, where]) => (draft) => {
        const entries = entriesOf(draft);
        const depth = `${nest.text.length} chars, ${nest.text.startsWith('[') ? 'arrays' : 'objects'}`;
        if (where === 'root') {
          return {
            ...draft,
            headers: { ...draft.headers, 'content-type': JSON_TYPE },
            body: { raw: Buffer.from(nest.text) },
            kind: 'deep-nesting',
            what: `body = deep nesting (${depth})`,
            mustRefuse: hasBody,
          };
        }
        const key = where === 'field' && entries.length > 0 ? entries[entries.length - 1]![0] : 'nested';
        return {
          ...withJson(draft, set(entries, key, nest)),
          kind: 'deep-nesting',
          what: `body.${key} = deep nesting (${depth})`,
          mustRefuse: hasBody,
        };
      }),
  );

  add(
    1,
    fc
      .tuple(
        hugeString,
        fc.constantFrom(
          ...(hasBody ? bodyKeys.map((k) => `body:${k}`) : ['body:huge']),
          ...(queryKeys.length > 0 ? queryKeys.map((k) => `query:${k}`) : ['query:huge']),
          ...headerNames.filter((h) => h.startsWith('x-')).map((h) => `header:${h}`),
        ),
      )
      .map(([value, place]) => (draft) => {
        const [where, key] = place.split(':') as ['body' | 'query' | 'header', string];
        // Headers and URLs have their own caps (16 kB in Node): keep them under it, so the route is what answers.
        const cut = where === 'body' ? value : value.slice(0, 1_500);
        const next: Omit<Draft, 'what' | 'kind' | 'mustRefuse'> =
          where === 'body'
            ? withJson(draft, set(entriesOf(draft), key, cut))
            : where === 'query'
              ? { ...draft, query: [...draft.query.filter(([k]) => k !== key), [key, cut]] }
              : { ...draft, headers: { ...draft.headers, [key]: 'h'.repeat(cut.length) } };
        return {
          ...next,
          kind: 'huge-string',
          what: `${where} ${key} = ${show(cut, 20)}`,
          mustRefuse:
            where === 'body'
              ? hasBody
              : where === 'query'
                ? hasQuery && key !== 'huge'
                : headerNames.includes(key),
        };
      }),
  );

  if (paramNames.length > 0 || queryKeys.length > 0) {
    const places = [...paramNames.map((k) => `path:${k}`), ...queryKeys.map((k) => `query:${k}`)];
    add(
      1,
      fc.tuple(fc.constantFrom(...places), nastyString).map(([place, value]) => (draft) => {
        const [where, key] = place.split(':') as ['path' | 'query', string];
        return {
          ...draft,
          ...(where === 'path'
            ? { params: { ...draft.params, [key]: value } }
            : { query: [...draft.query.filter(([k]) => k !== key), [key, value] as [string, string]] }),
          kind: 'control-chars',
          what: `${where} ${key} = ${show(value)}`,
          mustRefuse: where === 'query' && hasQuery,
        };
      }),
    );
  }

  const validJson = (draft: ReturnType<typeof baseDraft>) =>
    Buffer.from(toJson(objectOf(entriesOf(draft).length > 0 ? entriesOf(draft) : [['a', 1]])), 'utf8');

  add(
    1,
    fc
      .constantFrom(
        null,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=xyz',
        'application/xml',
        'application/json; charset=utf-16',
        'application/json; charset=koi8-r',
        'application/jsonx',
        'json',
        '*/*',
      )
      .map((type) => (draft) => {
        const headers = { ...draft.headers };
        delete headers['content-type'];
        if (type !== null) headers['content-type'] = type;
        return {
          ...draft,
          headers,
          body: { raw: validJson(draft) },
          kind: 'content-type',
          what: `Content-Type: ${type ?? '(none)'} with a JSON body`,
          mustRefuse: hasBody,
        };
      }),
  );

  add(
    1,
    fc
      .constantFrom(
        'gzip:garbage',
        'gzip:truncated',
        'gzip:bomb',
        'deflate:garbage',
        'br:garbage',
        'br:bad-body',
        'zstd:garbage',
        'compress:garbage',
        'x-unknown:plain',
        'gzip, gzip:gzip-once',
        'gzip, br:gzip-once',
      )
      .map((spec) => (draft) => {
        const [encoding, payload] = spec.split(':') as [string, string];
        const json = validJson(draft);
        const body =
          payload === 'garbage'
            ? json
            : payload === 'truncated'
              ? gzipSync(json).subarray(0, 12)
              : payload === 'bomb'
                ? gzipSync(Buffer.from(`{"occurredAt":"${' '.repeat(4_000_000)}"}`))
                : payload === 'bad-body'
                  ? brotliCompressSync(Buffer.from('{"occurredAt": 1, "__proto__": {"polluted": true}}'))
                  : payload === 'gzip-once'
                    ? gzipSync(json)
                    : json;
        return {
          ...draft,
          headers: { ...draft.headers, 'content-type': JSON_TYPE, 'content-encoding': encoding },
          body: { raw: body },
          kind: 'content-encoding',
          what: `Content-Encoding: ${encoding} with ${payload === 'garbage' || payload === 'plain' ? 'a plain JSON body' : payload}`,
          mustRefuse: hasBody,
        };
      }),
  );

  add(
    1,
    fc
      .oneof(
        fc.constantFrom(
          '{',
          '{"occurredAt":',
          "{'occurredAt':'2026-03-01T10:00:00Z'}",
          '{"a":1,}',
          '{"a":NaN}',
          '{"a":Infinity}',
          '{"a":undefined}',
          '{/*c*/"a":1}',
          '{"a":1}garbage',
          '{"a":"\\x41"}',
          '{"a":"\\ud800"',
          '\ufeff{"a":1}',
          '{"a":1}{"b":2}',
          '{"a" 1}',
          '{a:1}',
          '{"a":01}',
          '{"a":.5}',
          '{"a":"\u0000"',
        ),
        fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      )
      .chain((text) => fc.tuple(fc.constant(text), fc.boolean()))
      .map(([text, asInvalidUtf8]) => (draft) => ({
        ...draft,
        headers: { ...draft.headers, 'content-type': JSON_TYPE },
        body: {
          raw: asInvalidUtf8
            ? Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('"}')])
            : Buffer.from(text, 'latin1'),
        },
        kind: 'invalid-json',
        what: asInvalidUtf8 ? 'body with bytes that are not UTF-8' : `body ${show(text)}`,
        mustRefuse: hasBody,
      })),
  );

  // Routes that know their actor (a bearer token; identity headers before issue 17) check these headers.
  const actorHeaders = ['x-actor-id', 'x-actor-role', 'x-institution-id', 'authorization'];
  if (headerNames.some((h) => actorHeaders.includes(h))) {
    const present = (h: string) => headerNames.includes(h);
    const context = base.context === true;
    const forged = (payload: object) =>
      `Bearer ${[{ alg: 'none', typ: 'JWT' }, payload].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.')}.`;
    const choices: { header: string; value: string | null; refuse: boolean }[] = [
      ...[...actorHeaders, 'x-access-reason']
        .filter(present)
        .map((h) => ({ header: h, value: null, refuse: true })),
      ...PROTOTYPE_NAMES.flatMap((name) => [
        { header: 'x-actor-role', value: name, refuse: present('x-actor-role') },
        { header: 'x-institution-id', value: name, refuse: false },
        { header: 'x-actor-id', value: name, refuse: false },
        { header: 'idempotency-key', value: name, refuse: false },
        { header: 'if-match', value: name, refuse: context },
        { header: 'x-consistency', value: name, refuse: context },
        { header: 'x-access-reason', value: name, refuse: present('x-access-reason') },
        { header: 'authorization', value: `Bearer ${name}`, refuse: present('authorization') },
      ]),
      { header: 'if-match', value: '"99999999999999999999"', refuse: context },
      { header: 'if-match', value: '"-1"', refuse: context },
      { header: 'x-correlation-id', value: '__proto__', refuse: context },
      { header: 'idempotency-key', value: 'k'.repeat(256), refuse: context },
      { header: 'authorization', value: 'Bearer', refuse: present('authorization') },
      { header: 'authorization', value: 'Basic YWRtaW46YWRtaW4=', refuse: present('authorization') },
      {
        header: 'authorization',
        value: forged({
          sub: 'mallory',
          role: 'admin',
          institutionId: 'HOSP-CY-01',
          constructor: { prototype: 1 },
        }),
        refuse: present('authorization'),
      },
    ];
    add(
      1,
      fc.constantFrom(...choices).map(({ header, value, refuse }) => (draft) => {
        const headers = { ...draft.headers };
        if (value === null) delete headers[header];
        else headers[header] = value;
        return {
          ...draft,
          headers,
          kind: 'header',
          what: value === null ? `without header ${header}` : `header ${header}: ${show(value)}`,
          mustRefuse: refuse,
        };
      }),
    );
  }
  return out;
}

/** One bad request for one of the routes: routes spread evenly, then one mutation of the route's valid request. */
export function badRequests(
  catalog: Readonly<Record<string, RouteBase>>,
  routes: readonly string[],
): fc.Arbitrary<BadRequest> {
  return fc.constantFrom(...routes).chain((route) => {
    const base = catalog[route]!;
    const params = Object.entries(base.params ?? {});
    const paramsArb = fc
      .tuple(...params.map(([name, values]) => fc.constantFrom(...values).map((v) => [name, v] as const)))
      .map((pairs) => Object.fromEntries(pairs) as Record<string, string>);
    return fc
      .tuple(paramsArb, fc.oneof(...mutations(base)), fc.nat(999_999))
      .map(([chosen, mutate, suffix]) => render(route, mutate(baseDraft(base, chosen, suffix))));
  });
}

/**
 * Every Object.prototype name as every id a route takes (path parameters, id fields of the body and the query),
 * one request each: the issue's `constructor` ward is one of these, and random sampling may miss a given pair.
 */
export function prototypeIdRequests(
  catalog: Readonly<Record<string, RouteBase>>,
  routes: readonly string[],
): BadRequest[] {
  const out: BadRequest[] = [];
  for (const route of routes) {
    const base = catalog[route]!;
    const chosen = Object.fromEntries(
      Object.entries(base.params ?? {}).map(([name, values]) => [name, values[0]!]),
    );
    const bodyIds = Object.keys(base.body ?? {}).filter((k) => ID_FIELD.test(k));
    const queryIds = (base.queryKeys ?? Object.keys(base.query ?? {})).filter((k) => ID_FIELD.test(k));
    for (const name of PROTOTYPE_NAMES) {
      const draft = () => baseDraft(base, chosen);
      const made = (d: ReturnType<typeof baseDraft>, kind: MutationKind, what: string) =>
        out.push(render(route, { ...d, kind, what, mustRefuse: false }));
      for (const param of Object.keys(chosen)) {
        const d = draft();
        made({ ...d, params: { ...d.params, [param]: name } }, 'path-id', `path ${param} = "${name}"`);
      }
      for (const field of bodyIds) {
        const d = draft();
        made(withJson(d, set(entriesOf(d), field, name)), 'body-prototype-id', `body.${field} = "${name}"`);
      }
      for (const key of queryIds) {
        const d = draft();
        made(
          { ...d, query: [...d.query.filter(([k]) => k !== key), [key, name]] },
          'path-id',
          `query ${key}=${name}`,
        );
      }
    }
  }
  return out;
}
