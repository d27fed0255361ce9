import { HEAP_FLAGS, heapFlagsToSet } from './heap-flags';

describe('the API heap flags', () => {
  it('are set when the operator set none', () => {
    expect(heapFlagsToSet(['-r', 'tsconfig-paths/register'], undefined)).toEqual([...HEAP_FLAGS]);
    expect(heapFlagsToSet([], '--max-old-space-size=512')).toEqual([...HEAP_FLAGS]);
  });

  it("leave the operator's value, from the command line or NODE_OPTIONS, in either spelling", () => {
    expect(heapFlagsToSet(['--heap-growing-percent=20'], undefined)).toEqual([]);
    expect(heapFlagsToSet([], '--trace-gc  --heap_growing_percent=80')).toEqual([]);
  });
});
