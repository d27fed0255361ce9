import type { CommandMetadata } from '../shared/event';
import type { RecordRegionPopulation } from './population.commands';
import {
  decideRegionPopulation,
  evolveRegionPopulation,
  initialRegionPopulationState,
  populationOn,
  type RegionPopulationState,
} from './population.decider';
import type { RegionPopulationRecorded } from './population.events';

const metadata: CommandMetadata = {
  occurredAt: '2026-01-05T09:00:00+08:00',
  recordedAt: '2026-01-05T01:00:01Z',
  actorId: 'stats-1',
  actorRole: 'admin',
  institutionId: 'HC-CY',
  correlationId: 'c-1',
  causationId: 'r-1',
};

const figures: RecordRegionPopulation['data'] = {
  regionCode: '110105',
  effectiveOn: '2026-01-01',
  residents: 1_000,
  keyGroupResidents: 300,
  byKeyGroup: { hypertension: 120, 'age-65-plus': 200 },
  centres: [{ centreId: 'HC-CY', residents: 600, keyGroupResidents: 180 }],
  source: 'Chaoyang statistical yearbook 2025',
};

const recorded = (data: Partial<RecordRegionPopulation['data']> = {}): RegionPopulationRecorded => ({
  type: 'RegionPopulationRecorded',
  data: { ...figures, ...data },
});

const given = (...events: RegionPopulationRecorded[]): RegionPopulationState =>
  events.reduce(
    (state, event, i) => evolveRegionPopulation(state, { ...event, id: `e-${i}`, metadata }),
    initialRegionPopulationState(),
  );

const when = (data: Partial<RecordRegionPopulation['data']>, state = given()) =>
  decideRegionPopulation({ type: 'RecordRegionPopulation', data: { ...figures, ...data }, metadata }, state);

const refusal = (code: string) => expect.objectContaining({ code });

describe('region population decider', () => {
  it('records a region’s figures from a date', () => {
    expect(when({})).toEqual([recorded()]);
  });

  it('refuses counts that cannot hold together', () => {
    expect(() => when({ residents: -1 })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ residents: 10.5 })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ keyGroupResidents: 1_001 })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ byKeyGroup: { hypertension: 301 } })).toThrow(refusal('POPULATION_INVALID'));
  });

  it('takes only key groups that count for coverage (not the slot-priority 60+ band)', () => {
    expect(() => when({ byKeyGroup: { 'age-60-plus': 10 } })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ byKeyGroup: { smokers: 10 } })).toThrow(refusal('POPULATION_INVALID'));
  });

  it('refuses catchments that name a centre twice or hold more than the region', () => {
    const c = { centreId: 'HC-CY', residents: 600, keyGroupResidents: 10 };
    expect(() => when({ centres: [c, c] })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ centres: [c, { ...c, centreId: 'HC-2' }] })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ centres: [{ ...c, keyGroupResidents: 601 }] })).toThrow(
      refusal('POPULATION_INVALID'),
    );
  });

  it('refuses a bad region code, date or source', () => {
    expect(() => when({ regionCode: 'CY' })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ effectiveOn: '2026-02-30' })).toThrow(refusal('POPULATION_INVALID'));
    expect(() => when({ source: ' ' })).toThrow(refusal('POPULATION_INVALID'));
  });

  it('keeps one region per stream', () => {
    expect(() => when({ regionCode: '110106' }, given(recorded()))).toThrow(
      refusal('POPULATION_REGION_MISMATCH'),
    );
  });

  it('answers the figures in force on a date; a figure for the same date revises it', () => {
    const state = given(
      recorded({ effectiveOn: '2027-01-01', residents: 1_100 }),
      recorded(),
      recorded({ effectiveOn: '2027-01-01', residents: 1_200 }),
    );
    expect(state.figures.map((f) => [f.effectiveOn, f.residents])).toEqual([
      ['2026-01-01', 1_000],
      ['2027-01-01', 1_200],
    ]);
    expect(populationOn(state, '2025-12-31')).toBeNull();
    expect(populationOn(state, '2026-12-31')?.residents).toBe(1_000);
    expect(populationOn(state, '2027-01-01')?.residents).toBe(1_200);
  });
});
