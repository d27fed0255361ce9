import { emptyIdRecord, entryOf, withEntry, writableIdRecord } from './id-record';

describe('id records', () => {
  it('share one frozen empty record, which a write cannot change', () => {
    const empty = emptyIdRecord<number>();
    expect(emptyIdRecord<string>()).toBe(empty);
    expect(Object.isFrozen(empty)).toBe(true);
    expect(() => {
      (empty as Record<string, number>)['x'] = 1;
    }).toThrow(TypeError);
    expect(Object.keys(empty)).toEqual([]);
  });

  it('add an entry to a new record, leaving the one it came from as it was', () => {
    const empty = emptyIdRecord<number>();
    const one = withEntry(empty, '__proto__', 1);
    const two = withEntry(one, 'constructor', 2);
    expect(Object.keys(empty)).toEqual([]);
    expect(Object.keys(one)).toEqual(['__proto__']);
    expect(entryOf(two, '__proto__')).toBe(1);
    expect(entryOf(two, 'constructor')).toBe(2);
    expect(entryOf(two, 'valueOf')).toBeUndefined();
  });

  it('give a builder a writable record of its own each time', () => {
    const a = writableIdRecord<boolean>();
    a['v-1'] = true;
    expect(entryOf(a, 'v-1')).toBe(true);
    expect(Object.keys(writableIdRecord<boolean>())).toEqual([]);
    expect(Object.getPrototypeOf(a)).toBeNull();
  });
});
