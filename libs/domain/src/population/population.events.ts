import type { KeyGroup } from '../family-doctor/key-group';
import type { DomainEvent } from '../shared/event';

/*
 * A region's resident population as reference data (docs/family-doctors.md, "Coverage"): the denominators of the
 * family-doctor coverage indicators. They come from the region's statistics, never from contracts, which would make
 * coverage 100% by construction. One stream per region, `region-population-<regionCode>`, holding each figure with
 * the date from which it holds; a figure recorded again for the same date revises it.
 */

/** A community centre's catchment inside the region: the denominator of coverage by centre (and by alliance). */
export interface CentreCatchment {
  readonly centreId: string;
  readonly residents: number;
  readonly keyGroupResidents: number;
}

export type RegionPopulationRecorded = DomainEvent<
  'RegionPopulationRecorded',
  {
    regionCode: string;
    /** The figures hold from this calendar date until a later recording's. */
    effectiveOn: string;
    residents: number;
    /** Residents in at least one group that counts for key-group coverage (COVERAGE_KEY_GROUPS). */
    keyGroupResidents: number;
    /** Residents of each coverage key group, where the statistics give them (a person may be in several). */
    byKeyGroup: Readonly<Partial<Record<KeyGroup, number>>>;
    centres: readonly CentreCatchment[];
    /** Where the figures come from (a yearbook, a census), for the reader of a report. */
    source: string;
  }
>;

export type RegionPopulationEvent = RegionPopulationRecorded;

export const REGION_POPULATION_EVENT_TYPES: readonly RegionPopulationEvent['type'][] = [
  'RegionPopulationRecorded',
];

export const regionPopulationStreamId = (regionCode: string): string => `region-population-${regionCode}`;
