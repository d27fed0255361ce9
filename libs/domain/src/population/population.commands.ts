import type { CommandMetadata } from '../shared/event';

/** Records a region's population figures from a date; counts and codes are checked by the decider. */
export type RecordRegionPopulation = Readonly<{
  type: 'RecordRegionPopulation';
  data: Readonly<{
    regionCode: string;
    effectiveOn: string;
    residents: number;
    keyGroupResidents: number;
    /** Codes of COVERAGE_KEY_GROUPS with their residents. */
    byKeyGroup: Readonly<Record<string, number>>;
    centres: readonly Readonly<{ centreId: string; residents: number; keyGroupResidents: number }>[];
    source: string;
  }>;
  metadata: CommandMetadata;
}>;

export type RegionPopulationCommand = RecordRegionPopulation;
