import type { CommandMetadata } from '../shared/event';
import type { InstitutionCommand } from './institution.commands';
import {
  decideInstitution,
  evolveInstitution,
  initialInstitutionState,
  type InstitutionState,
} from './institution.decider';
import type { InstitutionEvent } from './institution.events';

const metadata = (occurredAt = '2026-01-01T00:00:00+08:00'): CommandMetadata => ({
  occurredAt,
  recordedAt: '2026-01-01T00:00:01Z',
  actorId: 'registrar-1',
  actorRole: 'admin',
  institutionId: 'HC-CY',
  correlationId: 'c-1',
  causationId: 'r-1',
});

const registered: InstitutionEvent = {
  type: 'InstitutionRegistered',
  data: {
    institutionId: 'HOSP-CY-01',
    name: 'Chaoyang Hospital',
    tier: 'tertiary',
    allianceId: 'CY-G1',
    regionCode: '110105',
  },
};
const wardOpened: InstitutionEvent = {
  type: 'WardOpened',
  data: { institutionId: 'HOSP-CY-01', wardId: 'icu', specialty: 'intensive-care', openBeds: 4 },
};

function given(...events: { event: InstitutionEvent; occurredAt?: string }[]): InstitutionState {
  return events.reduce(
    (state, { event, occurredAt }, i) =>
      evolveInstitution(state, {
        ...event,
        id: `e-${i}`,
        metadata: metadata(occurredAt),
      }),
    initialInstitutionState(),
  );
}

const when = (command: Omit<InstitutionCommand, 'metadata'>, state: InstitutionState) =>
  decideInstitution({ ...command, metadata: metadata() } as InstitutionCommand, state);

const changeBeds = (wardId: string, openBeds: number) =>
  ({ type: 'ChangeWardBedCount', data: { institutionId: 'HOSP-CY-01', wardId, openBeds } }) as const;
const bedsChanged = (wardId: string): InstitutionEvent => ({
  type: 'WardBedCountChanged',
  data: { institutionId: 'HOSP-CY-01', wardId, openBeds: 6, previousOpenBeds: 4 },
});
const enteredInError = (targetEventId: string, targetType: string, reason: string): InstitutionEvent =>
  ({
    type: 'InstitutionEventEnteredInError',
    data: { institutionId: 'HOSP-CY-01', targetEventId, targetType, wardId: 'icu', reason },
  }) as InstitutionEvent;
const expectRefused = (
  command: Omit<InstitutionCommand, 'metadata'>,
  state: InstitutionState,
  code: string,
) => expect(() => when(command, state)).toThrow(expect.objectContaining({ code }));

describe('institution decider', () => {
  it('registers a new institution', () => {
    expect(when({ type: 'RegisterInstitution', data: registered.data }, given())).toEqual([registered]);
  });

  it('refuses to register twice', () => {
    expect(() =>
      when({ type: 'RegisterInstitution', data: registered.data }, given({ event: registered })),
    ).toThrow(expect.objectContaining({ code: 'INSTITUTION_ALREADY_REGISTERED' }));
  });

  it('refuses wards of an unregistered institution', () => {
    expect(() => when({ type: 'OpenWard', data: wardOpened.data }, given())).toThrow(
      expect.objectContaining({ code: 'INSTITUTION_NOT_REGISTERED' }),
    );
  });

  it('opens a ward once', () => {
    expect(when({ type: 'OpenWard', data: wardOpened.data }, given({ event: registered }))).toEqual([
      wardOpened,
    ]);
    expect(() =>
      when({ type: 'OpenWard', data: wardOpened.data }, given({ event: registered }, { event: wardOpened })),
    ).toThrow(expect.objectContaining({ code: 'WARD_ALREADY_OPENED' }));
  });

  it('changes the bed count, remembering the previous one', () => {
    const state = given({ event: registered }, { event: wardOpened });
    expect(when(changeBeds('icu', 6), state)).toEqual([bedsChanged('icu')]);
  });

  it('refuses an unchanged bed count and an unknown ward', () => {
    const state = given({ event: registered }, { event: wardOpened });
    expectRefused(changeBeds('icu', 4), state, 'BED_COUNT_UNCHANGED');
    expectRefused(changeBeds('nicu', 4), state, 'WARD_NOT_FOUND');
  });

  it('keeps the bed-count history in care time, because open bed-days follow it (docs/domain.md)', () => {
    const state = given(
      { event: registered },
      { event: wardOpened, occurredAt: '2026-01-01T00:00:00+08:00' },
      { event: bedsChanged('icu'), occurredAt: '2026-02-15T00:00:00+08:00' },
    );
    expect(state.status === 'registered' && state.wards.icu).toEqual({
      wardId: 'icu',
      specialty: 'intensive-care',
      openBeds: 6,
      bedCountHistory: [
        { from: '2026-01-01T00:00:00+08:00', openBeds: 4 },
        { from: '2026-02-15T00:00:00+08:00', openBeds: 6 },
      ],
    });
  });

  describe('ids named like Object.prototype members are ordinary ids (docs/robustness.md)', () => {
    const names = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];

    it.each(names)('a ward called %s is unknown until opened, then opens, changes and folds', (wardId) => {
      const state = given({ event: registered });
      expectRefused(changeBeds(wardId, 5), state, 'WARD_NOT_FOUND');
      const opened: InstitutionEvent = {
        type: 'WardOpened',
        data: { institutionId: 'HOSP-CY-01', wardId, specialty: 'general', openBeds: 4 },
      };
      expect(when({ type: 'OpenWard', data: opened.data }, state)).toEqual([opened]);
      const changed = given({ event: registered }, { event: opened }, { event: bedsChanged(wardId) });
      expect(changed.status === 'registered' && Object.keys(changed.wards)).toEqual([wardId]);
      expect(changed.status === 'registered' && changed.wards[wardId]?.openBeds).toBe(6);
      // A record parsed back from JSON has Object.prototype again: lookups must still see only own entries.
      const revived = JSON.parse(JSON.stringify(given({ event: registered }))) as InstitutionState;
      expectRefused(changeBeds(wardId, 5), revived, 'WARD_NOT_FOUND');
    });
  });

  describe('ward facts an older version stored with an unreadable care time (docs/robustness.md)', () => {
    const unreadable = { event: bedsChanged('icu'), occurredAt: '2026-W09-1T10:00:00Z' };
    const change = changeBeds('icu', 8);

    it('shapes no ward and holds up the institution until it is voided', () => {
      const state = given({ event: registered }, { event: wardOpened }, unreadable);
      expect(state.status === 'registered' && state.wards.icu?.openBeds).toBe(4);
      expectRefused(change, state, 'INSTITUTION_NEEDS_REPAIR');
      expect(
        when(
          {
            type: 'MarkInstitutionEventEnteredInError',
            data: { institutionId: 'HOSP-CY-01', targetEventId: 'e-2', reason: 'unreadable-care-time' },
          },
          state,
        ),
      ).toEqual([enteredInError('e-2', 'WardBedCountChanged', 'unreadable-care-time')]);
    });

    it('voided, it is skipped, and so is a voided opening with its ward', () => {
      const voided = given({ event: registered }, { event: wardOpened }, unreadable, {
        event: enteredInError('e-2', 'WardBedCountChanged', 'unreadable-care-time'),
      });
      expect(when(change, voided)).toHaveLength(1);
      const noWard = given(
        { event: registered },
        { event: wardOpened },
        { event: enteredInError('e-1', 'WardOpened', 'wrong-entry') },
      );
      expect(noWard.status === 'registered' && Object.keys(noWard.wards)).toEqual([]);
      expectRefused(change, noWard, 'WARD_NOT_FOUND');
    });
  });
});
