/** Institution tiers of China's tiered-care system (docs/domain.md, "The setting and its terms"). */
export const TIERS = ['community', 'secondary', 'tertiary'] as const;
export type Tier = (typeof TIERS)[number];

const rank: Readonly<Record<Tier, number>> = { community: 1, secondary: 2, tertiary: 3 };

/** Upward referral (上转) goes to a higher tier, downward (下转) to a lower one (docs/domain.md). */
export function isHigherTier(a: Tier, than: Tier): boolean {
  return rank[a] > rank[than];
}
