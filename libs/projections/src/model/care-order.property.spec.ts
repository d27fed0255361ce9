import {
  type CommandMetadata,
  decideJourney,
  DEFAULT_DEADLINE_POLICY,
  DomainError,
  evolveJourney,
  initialJourneyState,
  type InstitutionSnapshot,
  type JourneyCommand,
  type JourneyEvent,
  type JourneyState,
  type OpenedJourneyState,
  type RecordedDomainEvent,
  type WardSnapshot,
} from '@carepath/domain';
import fc from 'fast-check';
import {
  currentStays,
  journeyReferrals,
  journeyStays,
  journeyVisits,
  placeEvent,
  refoldPlacements,
} from './journey-rows.model';
import { snapshot } from '../testing/journey-events';
import type { Placement } from './ward-occupancy.model';

/*
 * Issue 16, "order does not matter": a valid care history recorded in any order a records office could record it
 * (facts late by random amounts, corrections after the fact) is accepted command by command, and ends in the same
 * journey and the same read-model rows as recording it in care order. And an impossible fact is refused with a
 * code that names the conflict, writing nothing. Rules: docs/care-time.md.
 */

const CHC = snapshot('CHC-1', 'community', 'G1');
const HOSP = snapshot('HOSP-1', 'tertiary', 'G1');
const HOSP2 = snapshot('HOSP-2', 'tertiary', 'G1');
const T0 = Date.parse('2026-04-01T00:00:00Z');
const MIN = 60_000;
const iso = (minute: number) => new Date(T0 + minute * MIN).toISOString();
const ward = (institution: InstitutionSnapshot, wardId: string): WardSnapshot => ({
  institutionId: institution.institutionId,
  wardId,
  openBeds: 40,
  occupiedBeds: 0,
});

/** One command of the history: its care time, who records it, and which earlier commands must be on record first. */
interface Step {
  readonly key: string;
  readonly at: number;
  readonly by: InstitutionSnapshot;
  readonly command: (metadata: CommandMetadata) => JourneyCommand;
  /** Keys of steps a records office must have entered before this one (what it names, what it needs in care). */
  readonly after: readonly string[];
}

const cmd = (type: JourneyCommand['type'], data: object, metadata: CommandMetadata): JourneyCommand =>
  ({ type, data, metadata }) as JourneyCommand;

const referral = (
  referralId: string,
  from: InstitutionSnapshot,
  to: InstitutionSnapshot,
  direction: 'up' | 'down',
) => ({
  referralId,
  direction,
  from,
  to,
  department: 'cardiology',
  priority: 'routine',
  setting: 'inpatient',
  reasonCode: 'I21.4',
  deadlinePolicy: DEFAULT_DEADLINE_POLICY,
});

/** Gaps between care events, in minutes: never zero, so no two facts share an instant. */
const gap = fc.integer({ min: 5, max: 3 * 24 * 60 });

/**
 * A care history: first visit at the community centre; maybe an earlier stay elsewhere (recorded whole); an upward
 * referral (maybe received first), an admission on it, maybe a ward move, a surgery, maybe rehab, the discharge; maybe
 * a downward referral and a community rehab stay; extra visits anywhere; the referrals completed and the journey
 * closed.
 */
const histories = fc
  .record({
    gaps: fc.array(gap, { minLength: 24, maxLength: 24 }),
    earlierStay: fc.boolean(),
    received: fc.boolean(),
    moved: fc.boolean(),
    hospitalRehab: fc.boolean(),
    downward: fc.boolean(),
    rehabSessions: fc.integer({ min: 0, max: 3 }),
    extraVisits: fc.array(fc.integer({ min: 1, max: 23 }), { maxLength: 3 }),
  })
  .map((h): Step[] => {
    const at: number[] = [];
    h.gaps.reduce((t, g, i) => (at[i] = t + g), 0);
    const t = (i: number) => at[i]!;
    const steps: Step[] = [];
    const add = (
      key: string,
      i: number,
      by: InstitutionSnapshot,
      after: string[],
      command: Step['command'],
    ) => steps.push({ key, at: t(i), by, after, command });
    add('open', 0, CHC, [], (m) =>
      cmd(
        'OpenJourney',
        {
          journeyId: 'j',
          patientId: 'pt-property',
          residenceRegion: '110105',
          visitId: 'v-0',
          institution: CHC,
          visitType: 'outpatient',
          diagnosisCode: 'I21.4',
        },
        m,
      ),
    );
    if (h.earlierStay) {
      add('early-stay', 1, HOSP2, ['open'], (m) =>
        cmd(
          'AdmitPatient',
          {
            admissionId: 'a-early',
            institution: HOSP2,
            ward: ward(HOSP2, 'gen'),
            bedId: null,
            referralId: null,
            discharge: { occurredAt: iso(t(2)), disposition: 'home', destinationInstitutionId: null },
          },
          m,
        ),
      );
    }
    add('request-up', 3, CHC, ['open'], (m) => cmd('RequestReferral', referral('r-up', CHC, HOSP, 'up'), m));
    if (h.received)
      add('receive-up', 4, HOSP, ['request-up'], (m) => cmd('ReceiveReferral', { referralId: 'r-up' }, m));
    add('accept-up', 5, HOSP, ['request-up'], (m) => cmd('AcceptReferral', { referralId: 'r-up' }, m));
    const before = h.earlierStay ? ['early-stay'] : [];
    add('admit-hosp', 6, HOSP, ['accept-up', ...before], (m) =>
      cmd(
        'AdmitPatient',
        {
          admissionId: 'a-hosp',
          institution: HOSP,
          ward: ward(HOSP, 'cardio'),
          bedId: null,
          referralId: 'r-up',
        },
        m,
      ),
    );
    if (h.moved) {
      add('move', 7, HOSP, ['admit-hosp'], (m) =>
        cmd('MoveWard', { admissionId: 'a-hosp', toWard: ward(HOSP, 'icu'), bedId: null }, m),
      );
    }
    add('surgery', 8, HOSP, ['admit-hosp'], (m) =>
      cmd(
        'RecordSurgery',
        { surgeryId: 's-1', institutionId: HOSP.institutionId, procedureCode: '36.06' },
        m,
      ),
    );
    if (h.hospitalRehab) {
      add('rehab-hosp', 9, HOSP, ['admit-hosp'], (m) =>
        cmd(
          'RecordRehabSession',
          { sessionId: 'rs-hosp', institutionId: HOSP.institutionId, therapyCode: 'pt-1' },
          m,
        ),
      );
    }
    if (h.downward)
      add('request-down', 10, HOSP, ['admit-hosp'], (m) =>
        cmd('RequestReferral', referral('r-down', HOSP, CHC, 'down'), m),
      );
    add('complete-up', 11, HOSP, ['admit-hosp'], (m) => cmd('CompleteReferral', { referralId: 'r-up' }, m));
    add('discharge-hosp', 12, HOSP, ['admit-hosp'], (m) =>
      cmd(
        'DischargePatient',
        {
          admissionId: 'a-hosp',
          disposition: h.downward ? 'rehab' : 'home',
          destinationInstitutionId: h.downward ? CHC.institutionId : null,
        },
        m,
      ),
    );
    if (h.downward) {
      add('accept-down', 13, CHC, ['request-down'], (m) =>
        cmd('AcceptReferral', { referralId: 'r-down' }, m),
      );
      add('admit-chc', 14, CHC, ['accept-down', 'discharge-hosp'], (m) =>
        cmd(
          'AdmitPatient',
          {
            admissionId: 'a-chc',
            institution: CHC,
            ward: ward(CHC, 'rehab'),
            bedId: null,
            referralId: 'r-down',
          },
          m,
        ),
      );
      for (let k = 0; k < h.rehabSessions; k++) {
        add(`rehab-${k}`, 15 + k, CHC, ['admit-chc'], (m) =>
          cmd(
            'RecordRehabSession',
            { sessionId: `rs-${k}`, institutionId: CHC.institutionId, therapyCode: 'rehab-1' },
            m,
          ),
        );
      }
      add('complete-down', 19, CHC, ['admit-chc'], (m) =>
        cmd('CompleteReferral', { referralId: 'r-down' }, m),
      );
      add('discharge-chc', 20, CHC, ['admit-chc'], (m) =>
        cmd(
          'DischargePatient',
          { admissionId: 'a-chc', disposition: 'home', destinationInstitutionId: null },
          m,
        ),
      );
    }
    h.extraVisits.forEach((i, k) =>
      add(`visit-${k}`, i, CHC, ['open'], (m) =>
        cmd(
          'RecordVisit',
          {
            visitId: `v-${k + 1}`,
            institution: CHC,
            visitType: 'outpatient',
            diagnosisCode: 'I10',
            referralId: null,
          },
          m,
        ),
      ),
    );
    add(
      'close',
      23,
      CHC,
      steps.map((s) => s.key),
      (m) => cmd('CloseJourney', {}, m),
    );
    return steps;
  });

/** When each step is entered: late by a random amount, and never before what it depends on. */
const recordingOrders = (steps: readonly Step[]) =>
  fc
    .array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 * 24 * 60 })), {
      minLength: steps.length,
      maxLength: steps.length,
    })
    .map((delays) => {
      const recordedAt = new Map<string, number>();
      for (const [i, step] of steps.entries()) {
        const earliest = Math.max(
          step.at + delays[i]!,
          ...step.after.map((k) => (recordedAt.get(k) ?? 0) + 1),
        );
        recordedAt.set(step.key, earliest);
      }
      // Steps were listed in care order, so dependencies are earlier in the list and already timed.
      return [...steps].sort((a, b) => recordedAt.get(a.key)! - recordedAt.get(b.key)! || a.at - b.at);
    });

interface Recorded {
  state: JourneyState;
  refused: { key: string; error: unknown }[];
}

/** Sees each event as it is recorded, with the journey's state after it. */
type Recording = (event: RecordedDomainEvent<JourneyEvent>, after: JourneyState) => void;

function record(steps: readonly Step[], seen?: Recording): Recorded {
  let state = initialJourneyState();
  const refused: Recorded['refused'] = [];
  for (const step of steps) {
    const metadata: CommandMetadata = {
      occurredAt: iso(step.at),
      recordedAt: '2026-06-01T00:00:00.000Z',
      actorId: 'dr-1',
      actorRole: 'doctor',
      institutionId: step.by.institutionId,
      correlationId: 'c',
      causationId: step.key,
    };
    try {
      state = apply(state, step.key, decideJourney(step.command(metadata), state), metadata, seen);
    } catch (error) {
      refused.push({ key: step.key, error });
    }
  }
  return { state, refused };
}

function apply(
  state: JourneyState,
  key: string,
  events: readonly (JourneyEvent & { occurredAt?: string })[],
  metadata: CommandMetadata,
  seen?: Recording,
): JourneyState {
  // Event ids follow the step, not the recording order: the same fact has the same id however it was recorded.
  return events.reduce((s, { occurredAt, ...event }, i) => {
    const recorded = {
      ...event,
      id: `${key}#${i}`,
      metadata: { ...metadata, occurredAt: occurredAt ?? metadata.occurredAt },
    } as RecordedDomainEvent<JourneyEvent>;
    const after = evolveJourney(s, recorded);
    seen?.(recorded, after);
    return after;
  }, state);
}

/** What must not depend on the recording order: the records, the facts as a set, and every read model's rows. */
function outcome(state: JourneyState) {
  if (state.status === 'not-opened') return state;
  const opened = state;
  const { facts, ...records } = opened;
  const byId = <T>(rows: T[], id: (row: T) => string) => [...rows].sort((a, b) => id(a).localeCompare(id(b)));
  const stays = journeyStays(opened);
  return {
    records: JSON.parse(JSON.stringify(records)) as unknown,
    facts: byId([...facts], (f) => f.eventId),
    stays: byId(stays.stays, (s) => s.admissionId),
    segments: byId(stays.segments, (s) => `${s.admissionId} ${s.from}`),
    referrals: byId(journeyReferrals(opened), (r) => r.referralId),
    visits: byId(journeyVisits(opened), (v) => v.visitId),
  };
}

describe('order does not matter (issue 16)', () => {
  it('any recording order a records office could take is accepted and ends where care order ends', () => {
    fc.assert(
      fc.property(
        histories.chain((steps) => fc.tuple(fc.constant(steps), recordingOrders(steps))),
        ([steps, order]) => {
          const inCare = record(steps);
          expect(inCare.refused).toEqual([]);
          const late = record(order);
          expect(late.refused).toEqual([]);
          expect(outcome(late.state)).toEqual(outcome(inCare.state));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the live census, stepped in recording order as the write path steps it, is after every event the fold's current stays", () => {
    const byAdmission = (placements: Iterable<Placement>) =>
      [...placements].sort((a, b) => a.admissionId.localeCompare(b.admissionId));
    fc.assert(
      fc.property(
        histories.chain((steps) => fc.tuple(fc.constant(steps), recordingOrders(steps))),
        ([steps, order]) => {
          const placements = new Map<string, Placement>();
          let admitted = 0;
          const late = record(order, (event, after) => {
            const opened = after.status === 'not-opened' ? null : after;
            const at = Date.parse(String(event.metadata.occurredAt));
            if (placeEvent(placements, 'j', event, at) === 'refold')
              refoldPlacements(placements, 'j', opened);
            expect(byAdmission(placements.values())).toEqual(byAdmission(opened ? currentStays(opened) : []));
            if (event.type === 'PatientAdmitted') admitted++;
          });
          expect(late.refused).toEqual([]);
          expect(admitted).toBe(
            steps.filter((s) => s.key.startsWith('admit') || s.key === 'early-stay').length,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a ward move typed in after a later leave is placed again from the fold, not stepped', () => {
    const admission = {
      admissionId: 'a',
      institution: HOSP,
      ward: ward(HOSP, 'cs'),
      bedId: null,
      referralId: null,
    };
    const step = (key: string, at: number, command: Step['command']): Step => ({
      key,
      at,
      by: HOSP,
      after: [],
      command,
    });
    const opening = {
      journeyId: 'j',
      patientId: 'pt-late-move',
      residenceRegion: '110105',
      visitId: 'v-0',
      institution: HOSP,
      visitType: 'outpatient',
      diagnosisCode: 'I21.4',
    };
    const placements = new Map<string, Placement>();
    const said: string[] = [];
    const recorded = record(
      [
        step('open', 0, (m) => cmd('OpenJourney', opening, m)),
        step('admit', 60, (m) => cmd('AdmitPatient', admission, m)),
        step('leave', 120, (m) => cmd('StartLeave', { admissionId: 'a', holdBed: true }, m)),
        step('back', 180, (m) => cmd('EndLeave', { admissionId: 'a' }, m)),
        step('move', 90, (m) =>
          cmd('MoveWard', { admissionId: 'a', toWard: ward(HOSP, 'icu'), bedId: null }, m),
        ),
      ],
      (event, after) => {
        const opened = after.status === 'not-opened' ? null : after;
        const at = Date.parse(String(event.metadata.occurredAt));
        const placed = placeEvent(placements, 'j', event, at);
        said.push(placed);
        if (placed === 'refold') refoldPlacements(placements, 'j', opened);
        expect([...placements.values()]).toEqual(opened ? currentStays(opened) : []);
      },
    );
    expect(recorded.refused).toEqual([]);
    // Only the move, dated before the patient's return from leave, needs the fold.
    expect(said.indexOf('refold')).toBe(said.length - 1);
    // Back from leave into the ward it had been moved to before the leave.
    expect([...placements.values()]).toEqual([
      expect.objectContaining({ wardId: 'icu', kind: 'in-bed', from: T0 + 180 * MIN }),
    ]);
  });

  it('a correction entered after the fact ends where recording the right value on time ends', () => {
    fc.assert(
      fc.property(histories, fc.integer({ min: 1, max: 60 }), (steps, shift) => {
        const right = record(steps);
        // The surgery first typed in a little late in care time (still inside the stay), then corrected.
        const surgery = steps.find((s) => s.key === 'surgery')!;
        const wrong = steps.map((s) => (s === surgery ? { ...s, at: s.at + Math.min(shift, 4) } : s));
        const typed = record(wrong);
        expect(typed.refused).toEqual([]);
        const opened = typed.state as OpenedJourneyState;
        const fact = opened.facts.find((f) => f.type === 'SurgeryRecorded')!;
        // The records office's correction, a day after everything was typed in.
        const registrar: CommandMetadata = {
          occurredAt: '2026-06-02T00:00:00.000Z',
          recordedAt: '2026-06-02T00:00:00.000Z',
          actorId: 'reg-1',
          actorRole: 'registrar',
          institutionId: HOSP.institutionId,
          correlationId: 'c',
          causationId: 'fix',
        };
        const correction = decideJourney(
          cmd(
            'CorrectEvent',
            {
              targetEventId: fact.eventId,
              targetType: 'SurgeryRecorded',
              occurredAt: iso(surgery.at),
              patch: {},
            },
            registrar,
          ),
          typed.state,
        );
        const fixed = apply(typed.state, 'fix', correction, registrar) as OpenedJourneyState;
        const want = outcome(right.state) as Exclude<ReturnType<typeof outcome>, { status: 'not-opened' }>;
        const got = outcome(fixed) as typeof want;
        expect(got.records).toEqual(want.records);
        expect(got.stays).toEqual(want.stays);
        expect(got.segments).toEqual(want.segments);
      }),
      { numRuns: 150 },
    );
  });

  /** Impossible facts, each against a valid history recorded in care order, with the codes that may name them. */
  const impossible: Record<
    string,
    {
      codes: string[];
      command: (h: Step[], m: (at: number, by: InstitutionSnapshot) => CommandMetadata) => JourneyCommand;
    }
  > = {
    'a decision before its request': {
      codes: ['DECISION_BEFORE_REQUEST'],
      command: (h, m) =>
        cmd(
          'RejectReferral',
          {
            referralId: 'r-up',
            reason: 'not-indicated',
            redirectTo: null,
            redirectReferralId: null,
            deadlinePolicy: DEFAULT_DEADLINE_POLICY,
          },
          m(at(h, 'request-up') - 1, HOSP),
        ),
    },
    'a surgery outside any stay': {
      codes: ['SURGERY_WITHOUT_ADMISSION'],
      command: (h, m) =>
        cmd(
          'RecordSurgery',
          { surgeryId: 's-x', institutionId: HOSP.institutionId, procedureCode: '36.06' },
          m(at(h, 'discharge-hosp') + 1, HOSP),
        ),
    },
    'a ward move after the discharge': {
      codes: ['NOT_ADMITTED'],
      command: (h, m) =>
        cmd(
          'MoveWard',
          { admissionId: 'a-hosp', toWard: ward(HOSP, 'x'), bedId: null },
          m(at(h, 'discharge-hosp') + 1, HOSP),
        ),
    },
    'a leave before its stay began': {
      codes: ['OCCURRED_BEFORE_ADMISSION'],
      command: (h, m) =>
        cmd('StartLeave', { admissionId: 'a-hosp', holdBed: true }, m(at(h, 'admit-hosp') - 1, HOSP)),
    },
    'a second bed during the stay': {
      codes: ['ALREADY_ADMITTED'],
      command: (h, m) =>
        cmd(
          'AdmitPatient',
          {
            admissionId: 'a-x',
            institution: HOSP2,
            ward: ward(HOSP2, 'gen'),
            bedId: null,
            referralId: null,
            discharge: {
              occurredAt: iso(at(h, 'discharge-hosp') + 10),
              disposition: 'home',
              destinationInstitutionId: null,
            },
          },
          m(at(h, 'admit-hosp') + 1, HOSP2),
        ),
    },
    'an open stay typed in before a later one': {
      codes: ['ALREADY_ADMITTED'],
      command: (h, m) =>
        cmd(
          'AdmitPatient',
          { admissionId: 'a-x', institution: HOSP2, ward: ward(HOSP2, 'gen'), bedId: null, referralId: null },
          m(at(h, 'admit-hosp') - 2, HOSP2),
        ),
    },
    'a care time before the journey opened': {
      codes: ['BEFORE_JOURNEY_OPENED'],
      command: (_h, m) =>
        cmd(
          'RecordVisit',
          {
            visitId: 'v-x',
            institution: CHC,
            visitType: 'outpatient',
            diagnosisCode: 'I10',
            referralId: null,
          },
          m(-1, CHC),
        ),
    },
    'an admission moved after its own discharge': {
      codes: ['OCCURRED_BEFORE_ADMISSION', 'NOT_ADMITTED', 'SURGERY_WITHOUT_ADMISSION'],
      command: (h, m) => {
        const metadata = m(at(h, 'close') + 10, HOSP);
        return cmd(
          'CorrectEvent',
          {
            targetEventId: 'admit-hosp#0',
            targetType: 'PatientAdmitted',
            occurredAt: iso(at(h, 'discharge-hosp') + 1),
            patch: {},
          },
          metadata,
        );
      },
    },
  };
  const at = (h: Step[], key: string) => h.find((s) => s.key === key)!.at;

  it.each(Object.keys(impossible))(
    '%s is refused with a code naming the conflict, and writes nothing',
    (name) => {
      const { codes, command } = impossible[name]!;
      fc.assert(
        fc.property(histories, (steps) => {
          const { state, refused } = record(steps);
          expect(refused).toEqual([]);
          const metadata = (minute: number, by: InstitutionSnapshot): CommandMetadata => ({
            occurredAt: iso(minute),
            recordedAt: '2026-06-01T00:00:00.000Z',
            actorId: 'dr-2',
            actorRole: 'doctor',
            institutionId: by.institutionId,
            correlationId: 'c',
            causationId: 'x',
          });
          let thrown: unknown = null;
          try {
            decideJourney(command(steps, metadata), state);
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(DomainError);
          expect(codes).toContain((thrown as DomainError).code);
        }),
        { numRuns: 60 },
      );
    },
  );
});
