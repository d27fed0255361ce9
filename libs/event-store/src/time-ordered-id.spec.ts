import { isUUID } from 'class-validator';
import { timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it('is a version 7 UUID whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 11, 5, 7, 30, 0, 123);
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUUID(id, 7)).toBe(true);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts as the times it was minted at, and never repeats within a millisecond', () => {
    const at = Date.UTC(2026, 11, 5);
    const times = [at - 86_400_000, at - 1, at, at + 1, at + 2 ** 32, 2 ** 48 - 1];
    const ids = times.map((t) => timeOrderedId(t));
    expect([...ids].sort()).toEqual(ids);
    // Several pools' worth in one millisecond: the random part tells them apart.
    const same = new Set(Array.from({ length: 2_000 }, () => timeOrderedId(at)));
    expect(same.size).toBe(2_000);
    for (const id of same) expect(id.slice(0, 13)).toBe(timeOrderedId(at).slice(0, 13));
  });
});
