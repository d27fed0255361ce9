/**
 * Key groups (重点人群) as codes only: a flag says a resident belongs to a group, never who they are, how old they are
 * exactly or what else they have (docs/family-doctors.md, "Key groups"; docs/domain.md, "Privacy").
 *
 * The national basic public-health service names the first nine (65 and over, children 0-6, pregnant and postpartum
 * women, disability, hypertension, type 2 diabetes, severe mental disorder, tuberculosis) and many provinces add poor
 * households. `age-60-plus` is not a national key group: it is the age band Shanghai's specialist-slot priority uses,
 * so it is recorded beside `age-65-plus` rather than derived from a birth date the engine never holds.
 */
export const KEY_GROUPS = [
  'age-65-plus',
  'age-60-plus',
  'children-0-6',
  'maternal',
  'disability',
  'hypertension',
  'type-2-diabetes',
  'severe-mental-disorder',
  'tuberculosis',
  'poor-household',
] as const;
export type KeyGroup = (typeof KEY_GROUPS)[number];

/**
 * The groups that count towards key-group coverage (docs/family-doctors.md, "Coverage"): every key group except the
 * slot-priority age band, which is not one of the national groups.
 */
export const COVERAGE_KEY_GROUPS: readonly KeyGroup[] = KEY_GROUPS.filter((g) => g !== 'age-60-plus');

export const isKeyGroup = (value: unknown): value is KeyGroup =>
  typeof value === 'string' && (KEY_GROUPS as readonly string[]).includes(value);

/** A member of any national key group: the numerator of key-group coverage. */
export const inCoverageKeyGroup = (groups: readonly KeyGroup[]): boolean =>
  groups.some((g) => COVERAGE_KEY_GROUPS.includes(g));

/**
 * Why a set of flags cannot describe one person, or null when it can. The age bands nest (65 and over is also 60
 * and over) and exclude a child of 0-6; each flag is listed once.
 */
export function keyGroupInconsistency(groups: readonly string[]): string | null {
  const unknown = groups.find((g) => !isKeyGroup(g));
  if (unknown !== undefined) return `unknown key group ${JSON.stringify(unknown)}`;
  if (new Set(groups).size !== groups.length) return 'a key group is listed twice';
  if (groups.includes('age-65-plus') && !groups.includes('age-60-plus'))
    return 'age-65-plus without age-60-plus';
  if (groups.includes('children-0-6') && groups.includes('age-60-plus'))
    return 'children-0-6 with an adult age band';
  return null;
}
