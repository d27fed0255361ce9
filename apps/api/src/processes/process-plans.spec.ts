import type { InstitutionSnapshot, SignedContractReference } from '@carepath/domain';
import type { ProcessActionRow } from '@carepath/projections';
import { deriveId } from '@carepath/write-path';
import { allianceCentre, planExpiry, planFollowUp, planProposal, planReminder } from './process-plans';

/* What each process does with a due row: whom it proposes to, who owes a follow-up by when, at which care time. */
const inst = (
  institutionId: string,
  tier: InstitutionSnapshot['tier'],
  allianceId: string | null,
  regionCode = '110105',
): InstitutionSnapshot => ({ institutionId, tier, allianceId, regionCode });
const HOSP = inst('HOSP-CY-01', 'tertiary', 'CY-G1');
const CHC_A = inst('CHC-CY-01', 'community', 'CY-G1', '110101');
const CHC_B = inst('CHC-CY-02', 'community', 'CY-G1', '110105');
const CHC_C = inst('CHC-CY-03', 'community', 'CY-G1', '110105');
const CHC_OTHER = inst('CHC-HD-01', 'community', 'HD-G1');
const INSTITUTIONS = [HOSP, CHC_C, CHC_B, CHC_A, CHC_OTHER];
const OFFSET = 480;

/**
 * `notBeforeMs` (care-processes.projection.ts: a transfer proposal waits for an open downward referral to end) is
 * spread in rather than written out, so these rows fit the row type with or without that column.
 */
const NOT_WAITING = { notBeforeMs: null };
const row = (overrides: Partial<ProcessActionRow>): ProcessActionRow => ({
  ...NOT_WAITING,
  actionId: 'x',
  kind: 'transfer-proposal',
  journeyId: 'j-1',
  subjectId: 's-1',
  patientId: 'pt-7f3a9c21',
  residenceRegion: '110105',
  institutionId: HOSP.institutionId,
  institutionTier: 'tertiary',
  institutionAllianceId: 'CY-G1',
  counterpartId: null,
  counterpartAllianceId: null,
  priority: null,
  startAt: '2026-03-02T10:00:00+08:00',
  startMs: Date.parse('2026-03-02T10:00:00+08:00'),
  deadline: null,
  deadlineMs: null,
  recordedMs: null,
  admissionId: 'a-1',
  afterSurgery: true,
  referringCentreId: null,
  referringCentreAllianceId: null,
  ...overrides,
});
const contract = (centreId: string, keyGroups: SignedContractReference['keyGroups'] = []) =>
  ({ contractId: 'c-1', doctorId: 'doc-1', centreId, keyGroups }) as SignedContractReference;
const due = Date.parse('2026-03-05T10:00:00+08:00');

describe('referral deadlines', () => {
  it('reminds at the due time, never ahead of the clock', () => {
    const r = row({ kind: 'referral-reminder', subjectId: 'r-1' });
    expect(planReminder(r, due, due + 60_000, OFFSET)).toEqual({
      command: { type: 'RemindReferral', data: { referralId: 'r-1' } },
      occurredAt: '2026-03-05T10:00:00+08:00',
    });
    expect(planReminder(r, due, due - 60_000, OFFSET).occurredAt).toBe('2026-03-05T09:59:00+08:00');
  });

  it('expires at the deadline, escalating to the shared alliance, else to the receiving side’s, else nowhere', () => {
    const deadline = '2026-03-03T10:00:00+08:00';
    const base = { kind: 'referral-expiry' as const, subjectId: 'r-1', deadline };
    const shared = planExpiry(
      row({ ...base, institutionAllianceId: 'CY-G1', counterpartAllianceId: 'CY-G1' }),
    );
    expect(shared).toEqual({
      command: { type: 'ExpireReferral', data: { referralId: 'r-1', escalateToAllianceId: 'CY-G1' } },
      occurredAt: deadline,
    });
    const across = planExpiry(
      row({ ...base, institutionAllianceId: 'CY-G1', counterpartAllianceId: 'HD-G1' }),
    );
    expect(across.command.data.escalateToAllianceId).toBe('HD-G1');
    const none = planExpiry(row({ ...base, institutionAllianceId: 'CY-G1', counterpartAllianceId: null }));
    expect(none.command.data.escalateToAllianceId).toBeNull();
  });
});

describe('the alliance’s community centre', () => {
  it('prefers the journey’s referring centre, then the residence region, then the lowest id', () => {
    const pick = (referringCentreId: string | null, residenceRegion: string) =>
      allianceCentre(INSTITUTIONS, 'CY-G1', { referringCentreId, residenceRegion })?.institutionId;
    expect(pick(CHC_C.institutionId, '110105')).toBe(CHC_C.institutionId);
    expect(pick(CHC_OTHER.institutionId, '110105')).toBe(CHC_B.institutionId);
    expect(pick(null, '999999')).toBe(CHC_A.institutionId);
    expect(
      allianceCentre(INSTITUTIONS, null, { referringCentreId: null, residenceRegion: '110105' }),
    ).toBeNull();
  });
});

describe('downward transfer proposals', () => {
  it('proposes to the signed doctor’s centre, with the doctor, and a deterministic proposal id', () => {
    const plan = planProposal(row({}), due, due + 1, OFFSET, INSTITUTIONS, contract(CHC_OTHER.institutionId));
    expect(plan).toEqual({
      command: {
        type: 'ProposeDownwardTransfer',
        data: {
          proposalId: deriveId('proposal', 's-1'),
          surgeryId: 's-1',
          to: CHC_OTHER,
          basis: 'signed-doctor',
          signedDoctorId: 'doc-1',
        },
      },
      occurredAt: '2026-03-05T10:00:00+08:00',
    });
  });

  it('otherwise proposes to a centre of the hospital’s alliance, and skips when there is none', () => {
    const plan = planProposal(
      row({ referringCentreId: CHC_A.institutionId }),
      due,
      due,
      OFFSET,
      INSTITUTIONS,
      null,
    );
    expect(plan).toMatchObject({
      command: { data: { to: CHC_A, basis: 'alliance-centre', signedDoctorId: null } },
    });
    expect(planProposal(row({ institutionAllianceId: null }), due, due, OFFSET, INSTITUTIONS, null)).toEqual({
      skip: expect.stringContaining('no community centre'),
    });
  });
});

describe('discharge follow-ups', () => {
  const config = { followUpDays: 14, followUpPriorityDays: 7 };
  const discharge = (overrides: Partial<ProcessActionRow> = {}) =>
    row({ kind: 'follow-up', subjectId: 'a-1', afterSurgery: false, ...overrides });

  it('is owed by the signed doctor’s centre, at the discharge, due after the standard days', () => {
    const plan = planFollowUp(discharge(), config, OFFSET, INSTITUTIONS, contract(CHC_B.institutionId));
    expect(plan).toEqual({
      command: {
        type: 'OweFollowUp',
        data: {
          followUpId: deriveId('follow-up', 'a-1'),
          admissionId: 'a-1',
          owedBy: CHC_B,
          signedDoctorId: 'doc-1',
          dueBy: '2026-03-16T10:00:00+08:00',
          basis: 'standard',
        },
      },
      occurredAt: '2026-03-02T10:00:00+08:00',
    });
  });

  it('is due within the priority days after surgery, or for a resident in a key group', () => {
    const surgery = planFollowUp(discharge({ afterSurgery: true }), config, OFFSET, INSTITUTIONS, null);
    expect(surgery).toMatchObject({
      command: { data: { basis: 'after-surgery', dueBy: '2026-03-09T10:00:00+08:00' } },
    });
    const keyGroup = planFollowUp(
      discharge(),
      config,
      OFFSET,
      INSTITUTIONS,
      contract(CHC_B.institutionId, ['age-65-plus']),
    );
    expect(keyGroup).toMatchObject({
      command: { data: { basis: 'key-group', dueBy: '2026-03-09T10:00:00+08:00' } },
    });
  });

  it('without a contract: the rehab destination centre, then the referring centre, then the alliance’s centre', () => {
    const owedBy = (overrides: Partial<ProcessActionRow>) => {
      const plan = planFollowUp(discharge(overrides), config, OFFSET, INSTITUTIONS, null);
      return 'skip' in plan ? plan.skip : (plan.command.data.owedBy as InstitutionSnapshot).institutionId;
    };
    expect(owedBy({ counterpartId: CHC_C.institutionId, referringCentreId: CHC_A.institutionId })).toBe(
      CHC_C.institutionId,
    );
    expect(owedBy({ counterpartId: HOSP.institutionId, referringCentreId: CHC_A.institutionId })).toBe(
      CHC_A.institutionId,
    );
    expect(owedBy({})).toBe(CHC_B.institutionId);
    expect(owedBy({ institutionAllianceId: null })).toContain('no community centre');
  });
});
