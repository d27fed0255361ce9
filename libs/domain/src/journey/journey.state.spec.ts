import type { RecordedDomainEvent } from '../shared/event';
import { specMetadata } from '../testing/decider-spec';
import type { InstitutionSnapshot, JourneyEvent } from './journey.events';
import {
  evolveJourney,
  initialJourneyState,
  type JourneyState,
  type OpenedJourneyState,
} from './journey.state';

/** Each event as the log hands it back: decoded on its own, so no two share an object or a string. */
const decoded = (
  event: JourneyEvent,
  i: number,
  institutionId = 'CHC-CY-01',
): RecordedDomainEvent<JourneyEvent> =>
  JSON.parse(
    JSON.stringify({ ...event, id: `evt-${i}`, metadata: specMetadata({ institutionId }) }),
  ) as RecordedDomainEvent<JourneyEvent>;

const centre: InstitutionSnapshot = {
  institutionId: 'CHC-CY-01',
  tier: 'community',
  allianceId: 'ALLIANCE-1',
  regionCode: '310104',
};
const moved: InstitutionSnapshot = { ...centre, allianceId: 'ALLIANCE-2' };

const visit = (visitId: string, institution: InstitutionSnapshot): JourneyEvent => ({
  type: 'VisitRecorded',
  data: { visitId, institution, visitType: 'outpatient', diagnosisCode: 'I10', referralId: null },
});

const fold = (events: readonly RecordedDomainEvent<JourneyEvent>[]): OpenedJourneyState => {
  const state = events.reduce<JourneyState>(evolveJourney, initialJourneyState());
  if (state.status === 'not-opened') throw new Error('the journey was not opened');
  return state;
};

describe('a folded journey', () => {
  const opened = decoded(
    { type: 'JourneyOpened', data: { journeyId: 'j-1', patientId: 'p-1', residenceRegion: '310104' } },
    0,
  );

  it('given visits at one institution, holds its snapshot and id once, with the values as recorded', () => {
    const state = fold([opened, decoded(visit('v-1', centre), 1), decoded(visit('v-2', centre), 2)]);
    const [, first, second] = state.facts;
    expect(second!.data['institution']).toBe(first!.data['institution']);
    expect(second!.recordedBy).toBe(first!.recordedBy);
    expect(state.visits['v-2']!.institution).toBe(state.visits['v-1']!.institution);
    expect(state.visits['v-2']!.institution).toEqual(centre);
    expect(second!.data).toEqual(visit('v-2', centre).data);
  });

  it('given a visit at an institution as it stood otherwise, keeps that snapshot of its own', () => {
    const state = fold([opened, decoded(visit('v-1', centre), 1), decoded(visit('v-2', moved), 2)]);
    expect(state.visits['v-2']!.institution).toEqual(moved);
    expect(state.visits['v-1']!.institution).toEqual(centre);
  });

  it('keeps the data and the recording institution of each fact as its event has them', () => {
    const events = [
      opened,
      decoded(visit('v-1', centre), 1),
      decoded(visit('v-2', centre), 2, 'HOSP-1'),
      decoded(visit('v-3', moved), 3, 'HOSP-1'),
    ];
    const state = fold(events);
    expect(state.facts.map((f) => f.data)).toEqual(events.map((e) => e.data));
    expect(state.facts.map((f) => f.recordedBy)).toEqual(events.map((e) => e.metadata.institutionId));
  });
});
