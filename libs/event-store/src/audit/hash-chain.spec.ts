import fc from 'fast-check';
import { canonicalJson, chainHash, envelopeBytes, GENESIS_HASH } from './hash-chain';

// Every stored link was computed from these bytes: the canonical form may be rewritten for speed, never changed.
describe('canonicalJson', () => {
  it('sorts keys at every level by UTF-16 code units and leaves out undefined values', () => {
    const value = {
      b: 1,
      a: { z: [3, { y: undefined, x: null }], B: 'é' },
      é: true,
      '10': 0,
      '2': -0,
      c: undefined,
    };
    expect(canonicalJson(value)).toBe('{"10":0,"2":0,"a":{"B":"é","z":[3,{"x":null}]},"b":1,"é":true}');
  });

  it('sorts few keys and many alike, whatever order they were written in', () => {
    const reference = (object: Record<string, unknown>) =>
      `{${Object.keys(object)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${JSON.stringify(object[key])}`)
        .join(',')}}`;
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 40 }), fc.nat(), (keys, seed) => {
        const object = Object.fromEntries(keys.map((key, i) => [key, (seed + i) % 7]));
        expect(canonicalJson(object)).toBe(reference(object));
      }),
    );
  });

  it('writes bigints as decimal strings, undefined in arrays as null, and escapes keys and strings as JSON', () => {
    expect(canonicalJson([12n, undefined, 'a"b\n', { 'k"': 1.5e300 }])).toBe(
      '["12",null,"a\\"b\\n",{"k\\"":1.5e+300}]',
    );
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('gives any value the bytes of what JSON stores of it, as a verifier reads it back', () => {
    // The store hashes an event's data as appended; the chain walk hashes it as parsed from the stored JSON.
    const stored = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');
    fc.assert(
      fc.property(
        fc.anything({
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withSparseArray: true,
          withTypedArray: true,
          withUnicodeString: true,
        }),
        (value) => {
          expect(canonicalJson(value)).toBe(canonicalJson(stored(value)));
        },
      ),
      { numRuns: 2000 },
    );
    const withDate = { at: new Date('2026-03-01T00:00:00Z'), skip: () => 1, list: [undefined, () => 1] };
    expect(canonicalJson(withDate)).toBe('{"at":"2026-03-01T00:00:00.000Z","list":[null,null]}');
  });

  it('gives an envelope the bytes and hash it always had', () => {
    const bytes = envelopeBytes({
      id: 'e1',
      streamId: 'journey-1',
      revision: 0n,
      position: 1n,
      type: 'JourneyOpened',
      schemaVersion: 1,
      data: { patientId: 'p', journeyId: '1' },
      metadata: { occurredAt: '2026-03-01T08:00:00+08:00', actorId: 'doc' },
    });
    expect(bytes).toBe(
      '{"data":{"journeyId":"1","patientId":"p"},"id":"e1","metadata":{"actorId":"doc","occurredAt":"2026-03-01T08:00:00+08:00"},' +
        '"position":"1","revision":"0","schemaVersion":1,"streamId":"journey-1","type":"JourneyOpened"}',
    );
    expect(chainHash(GENESIS_HASH, bytes)).toBe(
      '9b043d3b2cc67c6141338a98f926897a2cf7ab972ab933c49fbd4102017ae622',
    );
  });
});
