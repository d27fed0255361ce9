import {
  type FamilyDoctorContractEvent,
  familyDoctorContractDecider,
  type InstitutionSnapshot,
  type RecordedDomainEvent,
} from '@carepath/domain';
import { residentSegments } from './family-doctor.model';

const CHC: InstitutionSnapshot = {
  institutionId: 'CHC-1',
  tier: 'community',
  allianceId: 'A1',
  regionCode: '310112',
};
const CHC2: InstitutionSnapshot = { ...CHC, institutionId: 'CHC-2', allianceId: 'A2' };

const given = (...events: FamilyDoctorContractEvent[]) =>
  events.reduce(
    (state, event, i) =>
      familyDoctorContractDecider.evolve(state, {
        ...event,
        id: `e-${i}`,
        metadata: { occurredAt: '2026-01-01T09:00:00+08:00' },
      } as RecordedDomainEvent<FamilyDoctorContractEvent>),
    familyDoctorContractDecider.initialState(),
  );

const signed: FamilyDoctorContractEvent = {
  type: 'FamilyDoctorContractSigned',
  data: {
    contractId: 'c-1',
    residentId: 'r-1',
    residenceRegion: '310112',
    doctorId: 'doc-1',
    centre: CHC,
    startDate: '2026-01-01',
    termMonths: 12,
    expiresOn: '2027-01-01',
    keyGroups: ['age-60-plus'],
  },
};

describe('contract segments (docs/family-doctors.md, "Coverage")', () => {
  it('given a signed contract, one segment covers its term; the slot-priority 60+ band is no key group', () => {
    expect(residentSegments(given(signed))).toEqual([
      {
        residentId: 'r-1',
        contractId: 'c-1',
        from: '2026-01-01',
        to: '2027-01-01',
        doctorId: 'doc-1',
        centreId: 'CHC-1',
        allianceId: 'A1',
        residenceRegion: '310112',
        keyGroups: ' age-60-plus ',
        inKeyGroup: false,
      },
    ]);
  });

  it('when key groups change, a transfer follows and the contract ends, the segments cut there and stop at the end', () => {
    const state = given(
      signed,
      {
        type: 'ResidentKeyGroupsChanged',
        data: {
          contractId: 'c-1',
          residentId: 'r-1',
          keyGroups: ['age-60-plus', 'hypertension'],
          previousKeyGroups: ['age-60-plus'],
          effectiveOn: '2026-03-01',
        },
      },
      {
        type: 'FamilyDoctorContractTransferred',
        data: {
          contractId: 'c-1',
          residentId: 'r-1',
          fromDoctorId: 'doc-1',
          fromCentreId: 'CHC-1',
          toDoctorId: 'doc-2',
          toCentre: CHC2,
          effectiveOn: '2026-06-01',
        },
      },
      {
        type: 'FamilyDoctorContractEnded',
        data: {
          contractId: 'c-1',
          residentId: 'r-1',
          doctorId: 'doc-2',
          centreId: 'CHC-2',
          reason: 'moved-away',
          endedOn: '2026-09-01',
        },
      },
    );
    expect(
      residentSegments(state).map((s) => [s.from, s.to, s.doctorId, s.allianceId, s.keyGroups, s.inKeyGroup]),
    ).toEqual([
      ['2026-01-01', '2026-03-01', 'doc-1', 'A1', ' age-60-plus ', false],
      ['2026-03-01', '2026-06-01', 'doc-1', 'A1', ' age-60-plus hypertension ', true],
      ['2026-06-01', '2026-09-01', 'doc-2', 'A2', ' age-60-plus hypertension ', true],
    ]);
  });

  it('when renewed, the last segment runs to the new expiry; a later contract adds its own', () => {
    const state = given(
      signed,
      {
        type: 'FamilyDoctorContractRenewed',
        data: {
          contractId: 'c-1',
          residentId: 'r-1',
          renewedFrom: '2027-01-01',
          termMonths: 12,
          expiresOn: '2028-01-01',
        },
      },
      {
        ...signed,
        data: { ...signed.data, contractId: 'c-2', startDate: '2028-02-01', expiresOn: '2029-02-01' },
      },
    );
    expect(residentSegments(state).map((s) => [s.contractId, s.from, s.to])).toEqual([
      ['c-1', '2026-01-01', '2028-01-01'],
      ['c-2', '2028-02-01', '2029-02-01'],
    ]);
  });

  it('given nothing signed, no segments', () => {
    expect(residentSegments(given())).toEqual([]);
  });
});
