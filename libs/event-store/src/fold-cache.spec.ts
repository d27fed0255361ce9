import { FoldCache, foldWeight } from './fold-cache';

const W = (events: number) => foldWeight(events);

describe('FoldCache', () => {
  it('given folds heavier together than the budget, when one more is kept, then the oldest go first', () => {
    const cache = new FoldCache<string>(2 * W(2) + W(1));
    cache.set('a', 'A', 2);
    cache.set('b', 'B', 2);
    cache.set('c', 'C', 2);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'B', 'C']);
    expect(cache.stats()).toEqual({ entries: 2, bytes: 2 * W(2) });
  });

  it('given a fold kept again, then it counts once and becomes the most recent', () => {
    const cache = new FoldCache<string>(W(2) + W(1) + W(1) / 2);
    cache.set('a', 'A1', 1);
    cache.set('b', 'B', 2);
    cache.set('a', 'A2', 2);
    cache.set('c', 'C', 1);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['A2', undefined, 'C']);
    expect(cache.stats().bytes).toBe(W(2) + W(1));
  });

  it('given a fold heavier than the whole budget, then it is not kept and evicts nothing', () => {
    const cache = new FoldCache<string>(W(3));
    cache.set('a', 'A', 1);
    cache.set('long', 'L', 4);
    cache.set('longer', 'L', 40);
    expect([cache.get('a'), cache.get('long'), cache.get('longer')]).toEqual(['A', undefined, undefined]);
  });

  it('given an entry limit, then it holds no more entries than that, light as they are', () => {
    const cache = new FoldCache<number>(1 << 30, 2);
    for (let i = 0; i < 5; i++) cache.set(`s${i}`, i, 1);
    expect(cache.stats().entries).toBe(2);
    expect([cache.get('s3'), cache.get('s4')]).toEqual([3, 4]);
    cache.delete('s4');
    expect(cache.stats()).toEqual({ entries: 1, bytes: W(1) });
  });
});
