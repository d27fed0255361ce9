import { COVERAGE_KEY_GROUPS, type KeyGroup } from '../family-doctor/key-group';
import { parseCalendarDate } from '../family-doctor/calendar-date';
import type { Decider } from '../shared/decider';
import { DomainError } from '../shared/domain-error';
import type { RecordedDomainEvent } from '../shared/event';
import type { RegionPopulationCommand } from './population.commands';
import {
  REGION_POPULATION_EVENT_TYPES,
  type RegionPopulationEvent,
  type RegionPopulationRecorded,
} from './population.events';

/*
 * A region's population figures over time (docs/family-doctors.md, "Coverage"). Figures are effective-dated
 * reference data, not a history of care: a figure for a past date may arrive late (statistics are published after
 * the year), so the stream keeps one figure per date and the one in force on a date is the latest on or before it.
 */

export type RegionPopulation = RegionPopulationRecorded['data'];

export interface RegionPopulationState {
  readonly regionCode: string | null;
  /** One figure per effective date, in date order. */
  readonly figures: readonly RegionPopulation[];
}

export const initialRegionPopulationState = (): RegionPopulationState => ({ regionCode: null, figures: [] });

/** The figures in force on `date`: the latest effective on or before it, or null before the first. */
export function populationOn(state: RegionPopulationState, date: string): RegionPopulation | null {
  return state.figures.filter((f) => f.effectiveOn <= date).at(-1) ?? null;
}

const REGION = /^\d{6}(\d{3})?$/;
const CENTRE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The most populous district of any country is far below this: more is a data-entry error. */
const MAX_RESIDENTS = 100_000_000;

const invalid = (message: string, details: Record<string, string | number> = {}) =>
  new DomainError('POPULATION_INVALID', message, details);

function requireCount(field: string, value: unknown, atMost: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > atMost) {
    throw invalid(`${field} must be a whole number from 0 to ${atMost}.`, { field });
  }
  return value;
}

export function decideRegionPopulation(
  command: RegionPopulationCommand,
  state: RegionPopulationState,
): RegionPopulationEvent[] {
  const d = command.data;
  if (!REGION.test(d.regionCode)) throw invalid('The region is a 6- or 9-digit region code.');
  if (state.regionCode !== null && state.regionCode !== d.regionCode) {
    throw new DomainError('POPULATION_REGION_MISMATCH', 'This stream holds another region.', {
      regionCode: state.regionCode,
    });
  }
  if (parseCalendarDate(d.effectiveOn) === null)
    throw invalid('effectiveOn must be a calendar date YYYY-MM-DD.');
  const residents = requireCount('residents', d.residents, MAX_RESIDENTS);
  // A key-group member is a resident; a member of one group is a key-group member (the key-group denominator).
  const keyGroupResidents = requireCount('keyGroupResidents', d.keyGroupResidents, residents);
  const byKeyGroup: Partial<Record<KeyGroup, number>> = {};
  for (const [group, count] of Object.entries(d.byKeyGroup)) {
    if (!(COVERAGE_KEY_GROUPS as readonly string[]).includes(group)) {
      throw invalid(`${group} is not a key group that counts for coverage.`, { group });
    }
    byKeyGroup[group as KeyGroup] = requireCount(`byKeyGroup.${group}`, count, keyGroupResidents);
  }
  const seen = new Set<string>();
  let inCatchments = 0;
  const centres = d.centres.map((c, i) => {
    if (typeof c.centreId !== 'string' || !CENTRE.test(c.centreId) || seen.has(c.centreId)) {
      throw invalid('Each centre is named once, by its institution code.', {
        field: `centres.${i}.centreId`,
      });
    }
    seen.add(c.centreId);
    const centreResidents = requireCount(`centres.${i}.residents`, c.residents, residents);
    inCatchments += centreResidents;
    return {
      centreId: c.centreId,
      residents: centreResidents,
      keyGroupResidents: requireCount(`centres.${i}.keyGroupResidents`, c.keyGroupResidents, centreResidents),
    };
  });
  // Catchments split the region: together they cannot hold more people than it has.
  if (inCatchments > residents) {
    throw invalid('The centres’ catchments hold more residents than the region.', {
      inCatchments,
      residents,
    });
  }
  if (typeof d.source !== 'string' || d.source.trim().length === 0 || d.source.length > 200) {
    throw invalid('source names where the figures come from (1 to 200 characters).');
  }
  return [
    {
      type: 'RegionPopulationRecorded',
      data: {
        regionCode: d.regionCode,
        effectiveOn: d.effectiveOn,
        residents,
        keyGroupResidents,
        byKeyGroup,
        centres,
        source: d.source,
      },
    },
  ];
}

export function evolveRegionPopulation(
  state: RegionPopulationState,
  event: RecordedDomainEvent<RegionPopulationEvent>,
): RegionPopulationState {
  const figure = event.data;
  // A figure for a date already held revises it: the statistics office corrected itself.
  const figures = [...state.figures.filter((f) => f.effectiveOn !== figure.effectiveOn), figure].sort(
    (a, b) => (a.effectiveOn < b.effectiveOn ? -1 : a.effectiveOn > b.effectiveOn ? 1 : 0),
  );
  return { regionCode: figure.regionCode, figures };
}

/** A region's population stream, as the write path and every reader fold it. */
export const regionPopulationDecider: Decider<
  RegionPopulationCommand,
  RegionPopulationEvent,
  RegionPopulationState
> = {
  initialState: initialRegionPopulationState,
  decide: decideRegionPopulation,
  evolve: evolveRegionPopulation,
  eventTypes: REGION_POPULATION_EVENT_TYPES,
};
