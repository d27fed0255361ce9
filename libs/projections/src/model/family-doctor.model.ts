import {
  type ContractRecord,
  coverageEndOf,
  type FamilyDoctorContractState,
  inCoverageKeyGroup,
  type KeyGroup,
  type RegionPopulationState,
} from '@carepath/domain';

/**
 * A stretch of one contract during which its holder and the resident's key groups stay the same: [from, to) in
 * calendar dates. The resident is signed on a date exactly when one of their segments covers it (docs/family-
 * doctors.md, "Coverage": in force from the start date up to its end or expiry), counted for the centre and doctor
 * holding it that day, the alliance the contract recorded for that centre, and the residence region.
 */
export interface ContractSegment {
  readonly residentId: string;
  readonly contractId: string;
  readonly from: string;
  readonly to: string;
  readonly doctorId: string;
  readonly centreId: string;
  readonly allianceId: string | null;
  readonly residenceRegion: string;
  /** The key groups in force, as codes, one space before and after each (so `instr` finds a whole code). */
  readonly keyGroups: string;
  /** In at least one group that counts for key-group coverage (COVERAGE_KEY_GROUPS). */
  readonly inKeyGroup: boolean;
}

export const keyGroupsText = (groups: readonly KeyGroup[]): string =>
  groups.length === 0 ? ' ' : ` ${[...groups].sort().join(' ')} `;

export const keyGroupsOf = (text: string): KeyGroup[] =>
  text.split(' ').filter((g) => g.length > 0) as KeyGroup[];

/** A contract's segments: cut at every transfer and key-group change inside [start, end or expiry). */
export function contractSegments(contract: ContractRecord): ContractSegment[] {
  const end = coverageEndOf(contract);
  const cuts = [
    ...new Set([
      contract.startDate,
      ...contract.holders.map((h) => h.from),
      ...contract.keyGroupHistory.map((k) => k.from),
    ]),
  ]
    .filter((d) => d >= contract.startDate && d < end)
    .sort();
  return cuts.map((from, i) => {
    const holder = contract.holders.filter((h) => h.from <= from).at(-1) ?? contract.holders[0]!;
    const groups = (
      contract.keyGroupHistory.filter((k) => k.from <= from).at(-1) ?? contract.keyGroupHistory[0]!
    ).keyGroups;
    return {
      residentId: contract.residentId,
      contractId: contract.contractId,
      from,
      to: cuts[i + 1] ?? end,
      doctorId: holder.doctorId,
      centreId: holder.centre.institutionId,
      allianceId: holder.centre.allianceId,
      residenceRegion: contract.residenceRegion,
      keyGroups: keyGroupsText(groups),
      inKeyGroup: inCoverageKeyGroup(groups),
    };
  });
}

/** Every contract the resident has signed, as segments (contracts never overlap: the decider refuses it). */
export function residentSegments(state: FamilyDoctorContractState): ContractSegment[] {
  if (state.status !== 'signed') return [];
  return [...state.previous, state.current].flatMap(contractSegments);
}

/** A region's figure from a date (the denominators of coverage by region). */
export interface PopulationFigureRow {
  readonly regionCode: string;
  readonly effectiveOn: string;
  readonly residents: number;
  readonly keyGroupResidents: number;
  /** `{ group: residents }` as JSON: a handful of groups, read only with their figure. */
  readonly byKeyGroup: string;
  readonly source: string;
}

/** A centre's catchment from a date (the denominators of coverage by centre and alliance). */
export interface CatchmentRow {
  readonly regionCode: string;
  readonly effectiveOn: string;
  readonly centreId: string;
  readonly residents: number;
  readonly keyGroupResidents: number;
}

export function populationRows(state: RegionPopulationState): [PopulationFigureRow[], CatchmentRow[]] {
  return [
    state.figures.map((f) => ({
      regionCode: f.regionCode,
      effectiveOn: f.effectiveOn,
      residents: f.residents,
      keyGroupResidents: f.keyGroupResidents,
      byKeyGroup: JSON.stringify(f.byKeyGroup),
      source: f.source,
    })),
    state.figures.flatMap((f) =>
      f.centres.map((c) => ({ regionCode: f.regionCode, effectiveOn: f.effectiveOn, ...c })),
    ),
  ];
}
