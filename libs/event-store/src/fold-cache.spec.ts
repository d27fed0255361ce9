import { FoldCache, foldWeight } from './fold-cache';

const W = (events: number) => foldWeight(events);

/** One use of a stream as the write path and the projections make it: look, and keep the fold as it now stands. */
function use(cache: FoldCache<string>, key: string): boolean {
  const hit = cache.get(key) !== undefined;
  cache.set(key, key, 1);
  return hit;
}

describe('FoldCache', () => {
  it('given more streams used in turn than the budget holds, then those held stay held and keep hitting', () => {
    // Room for four folds of one event; eight streams used one after the other, round after round. Kept least
    // recently stored first out, each fold was evicted just before its stream came round again: no hit at all.
    const cache = new FoldCache<string>(4 * W(1));
    const keys = Array.from({ length: 8 }, (_, i) => `journey-${i}`);
    const hitsByRound = Array.from({ length: 6 }, () => keys.filter((key) => use(cache, key)).length);
    expect(hitsByRound[0]).toBe(0);
    expect(hitsByRound.slice(2).every((hits) => hits >= 3)).toBe(true);
    expect(cache.stats()).toEqual({ entries: 4, bytes: 4 * W(1) });
  });

  it('given a stream used more often than the least recent fold held, then its fold takes that place', () => {
    const cache = new FoldCache<string>(2 * W(1));
    use(cache, 'a');
    for (let i = 0; i < 3; i++) cache.set('hot', 'H', 1);
    cache.set('x', 'X', 1);
    cache.set('y', 'Y', 1);
    // Leaving the window, "hot" (used three times) evicted "a" (once); "x" (once, the use that brought it) then lost
    // to "hot". Kept by recency alone, the cache would hold x and y.
    expect([cache.get('hot'), cache.get('a'), cache.get('x'), cache.get('y')]).toEqual([
      'H',
      undefined,
      undefined,
      'Y',
    ]);
  });

  it('given a fold that won its place, when its stream moves on, then the new fold keeps the place', () => {
    const cache = new FoldCache<string>(3 * W(1));
    use(cache, 'a');
    use(cache, 'b');
    use(cache, 'c');
    use(cache, 'd');
    // a and b hold the main part, d the window. a moves on twice; newcomers come and go round it.
    cache.set('a', 'A2', 1);
    use(cache, 'e');
    cache.set('a', 'A3', 1);
    use(cache, 'f');
    expect(cache.get('a')).toBe('A3');
  });

  it('given a fold kept again, then it counts once', () => {
    const cache = new FoldCache<string>(W(2) + W(1) + W(1) / 2);
    cache.set('a', 'A1', 1);
    cache.set('a', 'A2', 2);
    cache.set('c', 'C', 1);
    expect([cache.get('a'), cache.get('c')]).toEqual(['A2', 'C']);
    expect(cache.stats()).toEqual({ entries: 2, bytes: W(2) + W(1) });
  });

  it('given a fold grown past the budget with the rest, then the least recent folds go', () => {
    const cache = new FoldCache<string>(3 * W(1));
    use(cache, 'a');
    use(cache, 'b');
    use(cache, 'c');
    cache.set('c', 'C', 3);
    expect(cache.stats().bytes).toBeLessThanOrEqual(3 * W(1));
    expect(cache.get('c')).toBe('C');
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
    expect(cache.get('s4')).toBe(4);
    cache.delete('s4');
    expect(cache.stats()).toEqual({ entries: 1, bytes: W(1) });
  });

  it('given a limit of no entries, then it keeps nothing and says so', () => {
    const cache = new FoldCache<number>(1 << 30, 0);
    cache.set('a', 1, 1);
    expect([cache.get('a'), cache.keeps(), cache.stats().entries]).toEqual([undefined, false, 0]);
  });
});
