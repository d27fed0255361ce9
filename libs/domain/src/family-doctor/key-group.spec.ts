import { COVERAGE_KEY_GROUPS, inCoverageKeyGroup, keyGroupInconsistency } from './key-group';

describe('key groups (docs/family-doctors.md, "Key groups")', () => {
  it('counts every national key group towards key-group coverage, but not the slot-priority age band', () => {
    expect(COVERAGE_KEY_GROUPS).not.toContain('age-60-plus');
    expect(COVERAGE_KEY_GROUPS).toHaveLength(9);
    expect(inCoverageKeyGroup(['age-60-plus'])).toBe(false);
    expect(inCoverageKeyGroup(['age-60-plus', 'age-65-plus'])).toBe(true);
    expect(inCoverageKeyGroup(['tuberculosis'])).toBe(true);
    expect(inCoverageKeyGroup([])).toBe(false);
  });

  it.each([
    [[], null],
    [['age-60-plus', 'age-65-plus', 'hypertension'], null],
    [['children-0-6', 'disability'], null],
    [['obesity'], 'unknown key group "obesity"'],
    [['toString'], 'unknown key group "toString"'],
    [['maternal', 'maternal'], 'a key group is listed twice'],
    [['age-65-plus'], 'age-65-plus without age-60-plus'],
    [['children-0-6', 'age-60-plus'], 'children-0-6 with an adult age band'],
  ])('%j: %s', (groups, problem) => {
    expect(keyGroupInconsistency(groups)).toBe(problem);
  });
});
