import type { InstitutionSnapshot } from '../journey/journey.events';
import type { CommandMetadata } from '../shared/event';
import { deciderSpec, type GivenEvent, specMetadata } from '../testing/decider-spec';
import type { FamilyDoctorContractCommand } from './family-doctor.commands';
import {
  contractStandingOn,
  DEFAULT_CONTRACT_POLICY,
  familyDoctorContractDecider,
  signedContractOn,
} from './family-doctor.decider';
import { type FamilyDoctorContractEvent, familyDoctorContractStreamId } from './family-doctor.events';
import type { KeyGroup } from './key-group';

/*
 * Given/when/then for family-doctor contracts (issue 19; rules in docs/family-doctors.md, "Contracts"). The acting
 * institution is metadata.institutionId; a command's date is the calendar date of metadata.occurredAt.
 */
const spec = deciderSpec(familyDoctorContractDecider);

const CHC: InstitutionSnapshot = {
  institutionId: 'CHC-MH-01',
  tier: 'community',
  allianceId: 'MH-A1',
  regionCode: '310112',
};
const CHC2: InstitutionSnapshot = { ...CHC, institutionId: 'CHC-MH-02' };
const HOSP: InstitutionSnapshot = { ...CHC, institutionId: 'HOSP-MH-01', tier: 'tertiary' };

const on = (date: string, institution: InstitutionSnapshot = CHC): Partial<CommandMetadata> => ({
  institutionId: institution.institutionId,
  occurredAt: `${date}T10:00:00+08:00`,
});
const cmd = (
  type: FamilyDoctorContractCommand['type'],
  data: object,
  meta: Partial<CommandMetadata> = on('2026-03-01'),
): FamilyDoctorContractCommand =>
  ({ type, data, metadata: specMetadata(meta) }) as FamilyDoctorContractCommand;
const past = (event: FamilyDoctorContractEvent, date: string): GivenEvent<FamilyDoctorContractEvent> => ({
  event,
  metadata: on(date),
});

const signData = {
  contractId: 'fdc-1',
  residentId: 'res-7f3a',
  residenceRegion: '310112',
  doctorId: 'doc-1',
  centre: CHC,
  startDate: '2026-03-01',
  termMonths: 12,
  keyGroups: ['hypertension', 'age-60-plus'] as KeyGroup[],
};
const signed = past(
  {
    type: 'FamilyDoctorContractSigned',
    data: { ...signData, expiresOn: '2027-03-01', keyGroups: ['age-60-plus', 'hypertension'] },
  },
  '2026-03-01',
);
const ended = (date: string) =>
  past(
    {
      type: 'FamilyDoctorContractEnded',
      data: {
        contractId: 'fdc-1',
        residentId: 'res-7f3a',
        doctorId: 'doc-1',
        centreId: CHC.institutionId,
        reason: 'moved-away',
        endedOn: date,
      },
    },
    date,
  );
const transferredTo = (toCentre: InstitutionSnapshot) =>
  past(
    {
      type: 'FamilyDoctorContractTransferred',
      data: {
        contractId: 'fdc-1',
        residentId: 'res-7f3a',
        fromDoctorId: 'doc-1',
        fromCentreId: CHC.institutionId,
        toDoctorId: 'doc-2',
        toCentre,
        effectiveOn: '2026-06-01',
      },
    },
    '2026-06-01',
  );
const renew = (date: string, policy = DEFAULT_CONTRACT_POLICY, termMonths = 12) =>
  cmd('RenewFamilyDoctorContract', { contractId: 'fdc-1', termMonths, policy }, on(date));

describe('family-doctor contract decider', () => {
  it('names one stream per resident', () => {
    expect(familyDoctorContractStreamId('res-7f3a')).toBe('family-doctor-contract-res-7f3a');
  });

  describe('sign', () => {
    it('signs for a term of whole months, key groups as sorted codes', () => {
      spec().when(cmd('SignFamilyDoctorContract', signData)).then([signed.event]);
    });

    it('clamps the expiry to the end of a shorter month', () => {
      const [event] = spec()
        .when(cmd('SignFamilyDoctorContract', { ...signData, startDate: '2028-02-29' }, on('2028-02-29')))
        .events();
      expect(event?.type === 'FamilyDoctorContractSigned' && event.data.expiresOn).toBe('2029-02-28');
    });

    it('may start later than it is signed, never earlier', () => {
      expect(
        spec()
          .when(cmd('SignFamilyDoctorContract', { ...signData, startDate: '2026-04-01' }))
          .events(),
      ).toHaveLength(1);
      spec()
        .when(cmd('SignFamilyDoctorContract', signData, on('2026-03-02')))
        .thenFails('CONTRACT_START_BEFORE_SIGNING');
    });

    it.each([
      ['an invalid date', { startDate: '2026-02-30' }, 'CONTRACT_DATE_INVALID'],
      ['a term of no months', { termMonths: 0 }, 'CONTRACT_TERM_INVALID'],
      ['a fractional term', { termMonths: 1.5 }, 'CONTRACT_TERM_INVALID'],
      ['a term over five years', { termMonths: 61 }, 'CONTRACT_TERM_INVALID'],
      ['an unknown key group', { keyGroups: ['smoker'] }, 'KEY_GROUPS_INVALID'],
      ['a key group twice', { keyGroups: ['hypertension', 'hypertension'] }, 'KEY_GROUPS_INVALID'],
      ['65+ without 60+', { keyGroups: ['age-65-plus'] }, 'KEY_GROUPS_INVALID'],
      ['a child of 0-6 aged 60+', { keyGroups: ['children-0-6', 'age-60-plus'] }, 'KEY_GROUPS_INVALID'],
      ['a hospital as the centre', { centre: HOSP }, 'CONTRACT_CENTRE_NOT_COMMUNITY'],
    ] as const)('refuses %s', (_, change, code) => {
      spec()
        .when(cmd('SignFamilyDoctorContract', { ...signData, ...change }))
        .thenFails(code);
    });

    it('is signed by the centre itself', () => {
      spec()
        .when(cmd('SignFamilyDoctorContract', signData, on('2026-03-01', CHC2)))
        .thenFails('ACTING_INSTITUTION_MISMATCH');
    });

    it('refuses a second contract overlapping the first, and a reused id', () => {
      const second = { ...signData, contractId: 'fdc-2', doctorId: 'doc-2' };
      spec([signed])
        .when(cmd('SignFamilyDoctorContract', { ...second, startDate: '2027-02-28' }, on('2026-06-01')))
        .thenFails('CONTRACT_OVERLAP');
      spec([signed])
        .when(cmd('SignFamilyDoctorContract', { ...signData, startDate: '2027-03-01' }, on('2027-03-01')))
        .thenFails('DUPLICATE_ID');
    });

    it('signs again from the day the contract expires or ends', () => {
      const second = { ...signData, contractId: 'fdc-2', doctorId: 'doc-2', startDate: '2027-03-01' };
      expect(
        spec([signed])
          .when(cmd('SignFamilyDoctorContract', second, on('2027-03-01')))
          .events(),
      ).toHaveLength(1);
      const afterEnd = { ...second, startDate: '2026-06-01' };
      expect(
        spec([signed, ended('2026-06-01')])
          .when(cmd('SignFamilyDoctorContract', afterEnd, on('2026-06-01')))
          .events(),
      ).toHaveLength(1);
    });

    it("refuses another resident's contract on this resident's stream", () => {
      spec([signed, ended('2026-06-01')])
        .when(
          cmd(
            'SignFamilyDoctorContract',
            { ...signData, contractId: 'fdc-2', residentId: 'res-other', startDate: '2026-07-01' },
            on('2026-07-01'),
          ),
        )
        .thenFails('CONTRACT_RESIDENT_MISMATCH');
    });
  });

  describe('renew', () => {
    it('renews in the window before expiry, from the old expiry for a new term', () => {
      spec([signed])
        .when(renew('2027-01-15'))
        .then([
          {
            type: 'FamilyDoctorContractRenewed',
            data: {
              contractId: 'fdc-1',
              residentId: 'res-7f3a',
              renewedFrom: '2027-03-01',
              termMonths: 12,
              expiresOn: '2028-03-01',
            },
          },
        ]);
    });

    it('refuses a renewal before the window opens', () => {
      spec([signed]).when(renew('2026-11-30')).thenFails('CONTRACT_RENEWAL_TOO_EARLY');
      expect(spec([signed]).when(renew('2026-12-01')).events()).toHaveLength(1);
    });

    it('renews only a contract in force: not a lapsed or ended one, not a former one', () => {
      spec([signed]).when(renew('2027-03-01')).thenFails('CONTRACT_NOT_ACTIVE');
      spec([signed, ended('2026-12-15')])
        .when(renew('2027-01-15'))
        .thenFails('CONTRACT_NOT_ACTIVE');
      const second = past(
        {
          type: 'FamilyDoctorContractSigned',
          data: { ...signData, contractId: 'fdc-2', startDate: '2027-03-01', expiresOn: '2028-03-01' },
        },
        '2027-03-01',
      );
      spec([signed, second]).when(renew('2027-03-02')).thenFails('CONTRACT_NOT_ACTIVE');
    });

    it('refuses an unknown contract, an invalid term or policy', () => {
      spec().when(renew('2026-03-01')).thenFails('CONTRACT_NOT_FOUND');
      spec([signed])
        .when(
          cmd('RenewFamilyDoctorContract', {
            contractId: 'fdc-9',
            termMonths: 12,
            policy: DEFAULT_CONTRACT_POLICY,
          }),
        )
        .thenFails('CONTRACT_NOT_FOUND');
      spec([signed])
        .when(renew('2027-01-15', DEFAULT_CONTRACT_POLICY, 0))
        .thenFails('CONTRACT_TERM_INVALID');
      spec([signed])
        .when(renew('2027-01-15', { renewalWindowDays: -1 }))
        .thenFails('CONTRACT_POLICY_INVALID');
    });
  });

  describe('transfer', () => {
    const transfer = (toDoctorId: string, date = '2026-06-01', actor = CHC) =>
      cmd(
        'TransferFamilyDoctorContract',
        { contractId: 'fdc-1', toDoctorId, toCentre: CHC2 },
        on(date, actor),
      );

    it('moves the contract to another doctor from that date, term unchanged', () => {
      spec([signed])
        .when(transfer('doc-2'))
        .then([transferredTo(CHC2).event]);
    });

    it('is done by the old centre or the new one, never a third', () => {
      expect(
        spec([signed])
          .when(transfer('doc-2', '2026-06-01', CHC2))
          .events(),
      ).toHaveLength(1);
      spec([signed])
        .when(transfer('doc-2', '2026-06-01', HOSP))
        .thenFails('ACTING_INSTITUTION_MISMATCH');
    });

    it('goes to another doctor at a community centre', () => {
      spec([signed]).when(transfer('doc-1')).thenFails('CONTRACT_TRANSFER_SAME_DOCTOR');
      spec([signed])
        .when(
          cmd('TransferFamilyDoctorContract', { contractId: 'fdc-1', toDoctorId: 'doc-9', toCentre: HOSP }),
        )
        .thenFails('CONTRACT_CENTRE_NOT_COMMUNITY');
    });

    it('refuses a care time before the contract starts', () => {
      const future = past(
        {
          type: 'FamilyDoctorContractSigned',
          data: { ...signData, startDate: '2026-04-01', expiresOn: '2027-04-01' },
        },
        '2026-03-01',
      );
      spec([future]).when(transfer('doc-2', '2026-03-15')).thenFails('BEFORE_CONTRACT_START');
    });
  });

  describe('key groups', () => {
    const change = (keyGroups: string[], date = '2026-05-01') =>
      cmd('ChangeResidentKeyGroups', { contractId: 'fdc-1', keyGroups }, on(date));

    it('records new key groups from that date, with the previous ones', () => {
      spec([signed])
        .when(change(['type-2-diabetes', 'hypertension', 'age-60-plus']))
        .then([
          {
            type: 'ResidentKeyGroupsChanged',
            data: {
              contractId: 'fdc-1',
              residentId: 'res-7f3a',
              keyGroups: ['age-60-plus', 'hypertension', 'type-2-diabetes'],
              previousKeyGroups: ['age-60-plus', 'hypertension'],
              effectiveOn: '2026-05-01',
            },
          },
        ]);
    });

    it('refuses the same groups in another order, and invalid ones', () => {
      spec([signed])
        .when(change(['hypertension', 'age-60-plus']))
        .thenFails('KEY_GROUPS_UNCHANGED');
      spec([signed])
        .when(change(['age-65-plus']))
        .thenFails('KEY_GROUPS_INVALID');
    });
  });

  describe('end', () => {
    const end = (date: string) =>
      cmd('EndFamilyDoctorContract', { contractId: 'fdc-1', reason: 'moved-away' }, on(date));

    it('ends a contract in force, naming the doctor holding it', () => {
      spec([signed])
        .when(end('2026-06-01'))
        .then([ended('2026-06-01').event]);
    });

    it('ends only a contract in force', () => {
      spec([signed, ended('2026-06-01')])
        .when(end('2026-06-02'))
        .thenFails('CONTRACT_NOT_ACTIVE');
      spec([signed]).when(end('2027-03-01')).thenFails('CONTRACT_NOT_ACTIVE');
    });

    it('is done by the centre holding the contract', () => {
      spec([signed])
        .when(
          cmd('EndFamilyDoctorContract', { contractId: 'fdc-1', reason: 'other' }, on('2026-06-01', CHC2)),
        )
        .thenFails('ACTING_INSTITUTION_MISMATCH');
    });
  });

  it('refuses a change before the latest recorded one in care time', () => {
    spec([signed, transferredTo(CHC)])
      .when(cmd('EndFamilyDoctorContract', { contractId: 'fdc-1', reason: 'other' }, on('2026-05-01')))
      .thenFails('CONTRACT_CHANGE_OUT_OF_ORDER');
  });

  describe('standing and the reference a slot booking needs', () => {
    it('follows the doctor and key groups of each date', () => {
      const { state } = spec([signed, transferredTo(CHC2)]);
      expect(signedContractOn(state, '2026-05-31')).toEqual({
        contractId: 'fdc-1',
        doctorId: 'doc-1',
        centreId: CHC.institutionId,
        keyGroups: ['age-60-plus', 'hypertension'],
      });
      expect(signedContractOn(state, '2026-06-01')?.doctorId).toBe('doc-2');
      expect(signedContractOn(state, '2026-02-28')).toBeNull();
      expect(signedContractOn(state, '2027-03-01')).toBeNull();
    });

    it.each([
      ['2026-02-28', 'pending'],
      ['2026-03-01', 'active'],
      ['2026-11-30', 'active'],
      ['2026-12-01', 'expiring'],
      ['2027-03-01', 'lapsed'],
    ] as const)('on %s the contract is %s', (date, standing) => {
      expect(contractStandingOn(spec([signed]).state, date)).toBe(standing);
    });

    it('is ended from its end date, and none before any contract', () => {
      expect(contractStandingOn(spec([signed, ended('2026-06-01')]).state, '2026-06-01')).toBe('ended');
      expect(contractStandingOn(spec().state, '2026-06-01')).toBe('none');
    });
  });
});
