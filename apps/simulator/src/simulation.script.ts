import {
  HOUR,
  MINUTE,
  type Plan,
  type PlannedJourney,
  type PlannedReferral,
  type PlannedStay,
  type PlannedVisit,
  UTC8,
} from './simulation.plan';

/*
 * How the plan gets recorded: each journey's commands with the moment they are entered, merged across journeys in
 * recording order (the order of a real log). Most commands are entered as care happens; late entries, corrections
 * and voids are entered afterwards, so their care time is earlier than that of commands recorded before them.
 */

/** Beijing time as CarePath's clients send it. */
export const iso = (ms: number) => `${new Date(ms + UTC8).toISOString().slice(0, 19)}+08:00`;

/**
 * Who enters a command: clinical staff, or the records office for corrections and voids. Over HTTP the simulator is
 * one service account (docs/api.md, "Authentication"): the institution is what it names in X-Institution-Id, the role
 * only orders the script.
 */
export interface Actor {
  readonly role: 'doctor' | 'registrar' | 'admin';
  readonly institutionId: string;
}

/** A command as the API takes it: a POST of `body` to the route `path` (journeys.controller.ts and its siblings). */
export interface CommandRequest {
  readonly path: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Ids minted by a journey's earlier commands, under the names the script gave them; its own id under JOURNEY. */
export type JourneyIds = (name: string) => string;

/** The name of the journey's own id, known once the command that opens it has answered. */
export const JOURNEY = 'journey';

export interface JourneyStep {
  /** Index of the journey in the plan. */
  readonly journey: number;
  readonly recordAt: number;
  readonly actor: Actor;
  readonly request: (ids: JourneyIds) => CommandRequest;
  /** Names for what the command creates: ids of its answer (`created`) and its events, by event type. */
  readonly created?: Readonly<Record<string, string>>;
  readonly events?: Readonly<Record<string, string>>;
}

/** Corrections and voids of mistakes are entered a day and a half after the mistaken entry. */
const CORRECTION_DELAY = 36 * HOUR;
const REGISTRATION = '2020-01-01T00:00:00+08:00';

const staff = (institutionId: string, role: Actor['role'] = 'doctor'): Actor => ({ role, institutionId });

/** A route under the journey's own (`/journeys/:journeyId`). */
const journeyRoute = (ids: JourneyIds, route: string) => `/journeys/${ids(JOURNEY)}${route}`;

/** A correction or a void of one of the journey's events, by the records office. */
const ofEvent = (
  ids: JourneyIds,
  eventId: string,
  what: 'corrections' | 'entered-in-error',
  body: CommandRequest['body'],
): CommandRequest => ({ path: journeyRoute(ids, `/events/${eventId}/${what}`), body });

/** Registrations, wards and bed-count changes, entered before any journey. */
export function institutionRequests(plan: Plan): { actor: Actor; request: CommandRequest }[] {
  // The health commission registers institutions; a ward is opened or resized for its own institution (issue 17).
  const commission = staff('SIM-HC', 'admin');
  return plan.institutions.flatMap((i) => {
    const actor = staff(i.institutionId, 'admin');
    const wards = `/institutions/${i.institutionId}/wards`;
    return [
      {
        actor: commission,
        request: {
          path: '/institutions',
          body: {
            institutionId: i.institutionId,
            name: i.name,
            tier: i.tier,
            allianceId: i.allianceId,
            regionCode: i.regionCode,
            occurredAt: REGISTRATION,
          },
        },
      },
      ...i.wards.flatMap((w) => [
        {
          actor,
          request: {
            path: wards,
            body: { wardId: w.wardId, specialty: w.wardId, openBeds: w.beds, occurredAt: REGISTRATION },
          },
        },
        ...(w.bedChange
          ? [
              {
                actor,
                request: {
                  path: `${wards}/${w.wardId}/bed-count`,
                  body: { openBeds: w.bedChange.beds, occurredAt: iso(w.bedChange.at) },
                },
              },
            ]
          : []),
      ]),
    ];
  });
}

/** Every journey command of the plan, in recording order. */
export function journeySteps(plan: Plan): JourneyStep[] {
  const steps = plan.journeys.flatMap((journey, index) => scriptJourney(journey, index));
  // Stable: within a journey the script's order breaks ties, so commands that depend on each other stay in order.
  return steps.sort((a, b) => a.recordAt - b.recordAt || a.journey - b.journey);
}

const DIAGNOSES: Readonly<Record<PlannedJourney['shape'], string>> = {
  visit: 'I10',
  visitor: 'J06.9',
  up: 'I21.4',
  down: 'S72.0',
  sequential: 'I63.9',
};

function scriptJourney(j: PlannedJourney, index: number): JourneyStep[] {
  const steps: JourneyStep[] = [];
  const diagnosisCode = DIAGNOSES[j.shape];
  const add = (
    at: number,
    actor: Actor,
    request: JourneyStep['request'],
    names: Pick<JourneyStep, 'created' | 'events'> = {},
  ) => steps.push({ journey: index, recordAt: at, actor, request, ...names });
  const referral = (name: string) => `referral:${name}`;

  const visitBody = (v: PlannedVisit, ids: JourneyIds) => ({
    institutionId: v.institutionId,
    visitType: v.recordedAs?.visitType ?? v.visitType,
    diagnosisCode,
    ...(v.referral !== null ? { referralId: ids(referral(v.referral)) } : {}),
    occurredAt: iso(v.recordedAs?.at ?? v.at),
  });
  const visit = (v: PlannedVisit) => (ids: JourneyIds) => ({
    path: journeyRoute(ids, '/visits'),
    body: visitBody(v, ids),
  });
  j.visits.forEach((v, k) => {
    const recordAt = v.at + v.lateBy;
    const actor = staff(v.institutionId);
    const events = { events: { VisitRecorded: `visit:${k}` } };
    const opening = j.visits[0]!;
    if (k > 0 && v.at < opening.at) {
      // A visit typed in later that comes before the opening visit: the records office first moves the journey's
      // opening to it, since nothing happens in a journey before it opened (docs/care-time.md).
      add(recordAt - MINUTE, staff(opening.institutionId, 'registrar'), (ids) =>
        ofEvent(ids, ids('opening'), 'corrections', {
          targetType: 'JourneyOpened',
          occurredAt: iso(v.at),
          patch: {},
        }),
      );
    }
    if (k === 0) {
      add(
        recordAt,
        actor,
        (ids) => ({
          path: '/journeys',
          body: { patientId: j.patientId, residenceRegion: j.residenceRegion, ...visitBody(v, ids) },
        }),
        { events: { ...events.events, JourneyOpened: 'opening' } },
      );
    } else {
      add(recordAt, actor, visit(v), events);
    }
    if (v.recordedAs) {
      add(recordAt + CORRECTION_DELAY, staff(v.institutionId, 'registrar'), (ids) =>
        ofEvent(ids, ids(`visit:${k}`), 'corrections', {
          targetType: 'VisitRecorded',
          occurredAt: iso(v.at),
          patch: { visitType: v.visitType },
        }),
      );
    }
    if (v.duplicated) {
      add(recordAt + 2 * MINUTE, actor, visit(v), { events: { VisitRecorded: `visit:${k}:copy` } });
      add(recordAt + CORRECTION_DELAY, staff(v.institutionId, 'registrar'), (ids) =>
        ofEvent(ids, ids(`visit:${k}:copy`), 'entered-in-error', { reason: 'duplicate-entry' }),
      );
    }
  });

  for (const r of j.referrals) scriptReferral(r, j.referrals, add, diagnosisCode);
  for (const s of j.stays) scriptStay(s, add);

  if (j.closedAt !== null) {
    // Closing waits for every late entry of care: nothing is added to a closed journey but corrections.
    const care = steps.filter((s) => s.actor.role === 'doctor').map((s) => s.recordAt);
    add(Math.max(j.closedAt, ...care.map((t) => t + MINUTE)), staff(j.visits[0]!.institutionId), (ids) => ({
      path: journeyRoute(ids, '/close'),
      body: { occurredAt: iso(j.closedAt!) },
    }));
  }
  return steps.sort((a, b) => a.recordAt - b.recordAt);
}

type CorrectableType = 'PatientAdmitted' | 'LeaveStarted' | 'LeaveEnded' | 'PatientDischarged';

type Add = (
  at: number,
  actor: Actor,
  request: JourneyStep['request'],
  names?: Pick<JourneyStep, 'created' | 'events'>,
) => void;

function scriptReferral(
  r: PlannedReferral,
  all: readonly PlannedReferral[],
  add: Add,
  reasonCode: string,
): void {
  const name = `referral:${r.name}`;
  const from = staff(r.from);
  const to = staff(r.to);
  /** A route of this referral: receive, accept, reject, ... */
  const ofReferral =
    (action: string, body: CommandRequest['body']) =>
    (ids: JourneyIds): CommandRequest => ({
      path: journeyRoute(ids, `/referrals/${ids(name)}/${action}`),
      body,
    });
  const request = (target: string) => (ids: JourneyIds) => ({
    path: journeyRoute(ids, '/referrals'),
    body: {
      direction: r.direction,
      fromInstitutionId: r.from,
      toInstitutionId: target,
      department: r.direction === 'up' ? 'cardiology' : 'rehab',
      priority: r.priority,
      setting: r.setting,
      reasonCode,
      occurredAt: iso(r.requestedAt),
    },
  });
  // A redirect's request is made by the rejection that names it.
  if (r.redirectedFrom === null) {
    if (r.wrongTargetFirst !== null) {
      const wrong = `request:${r.name}:wrong`;
      add(r.requestedAt - 20 * MINUTE, from, request(r.wrongTargetFirst), {
        events: { [r.direction === 'up' ? 'UpwardReferralRequested' : 'DownwardReferralRequested']: wrong },
      });
      add(r.requestedAt - 10 * MINUTE, staff(r.from, 'registrar'), (ids) =>
        ofEvent(ids, ids(wrong), 'entered-in-error', { reason: 'other' }),
      );
    }
    add(r.requestedAt, from, request(r.to), { created: { referralId: name } });
  }
  if (r.receivedAt !== null) {
    add(r.receivedAt, to, ofReferral('receive', { occurredAt: iso(r.receivedAt) }));
  }
  const d = r.decision;
  if (d?.kind === 'accepted' && d.rejectedInErrorFirst) {
    const wrong = `reject:${r.name}:wrong`;
    add(
      d.at - 30 * MINUTE,
      to,
      ofReferral('reject', { reason: 'not-indicated', occurredAt: iso(d.at - 30 * MINUTE) }),
      { events: { ReferralRejected: wrong } },
    );
    add(d.at - 15 * MINUTE, staff(r.to, 'registrar'), (ids) =>
      ofEvent(ids, ids(wrong), 'entered-in-error', { reason: 'other' }),
    );
  }
  if (d) {
    switch (d.kind) {
      case 'accepted':
        add(d.at, to, ofReferral('accept', { occurredAt: iso(d.at) }));
        break;
      case 'rejected':
        add(d.at, to, ofReferral('reject', { reason: d.reason, occurredAt: iso(d.at) }));
        break;
      case 'redirected': {
        const redirect = all.find((o) => o.name === d.to)!;
        add(
          d.at,
          to,
          ofReferral('reject', {
            reason: 'capacity-full',
            redirectToInstitutionId: redirect.to,
            occurredAt: iso(d.at),
          }),
          { created: { redirectReferralId: `referral:${redirect.name}` } },
        );
        break;
      }
    }
  }
  const end = r.end;
  if (end) {
    switch (end.kind) {
      case 'completed':
        add(end.at, to, ofReferral('complete', { occurredAt: iso(end.at) }));
        break;
      case 'cancelled':
        add(
          end.at,
          from,
          ofReferral('cancel', {
            reason: d ? 'patient-declined' : 'patient-recovered',
            occurredAt: iso(end.at),
          }),
        );
        break;
      case 'expired':
        // Left undecided: CarePath's deadline process expires it at its deadline, through the write path, once the
        // plan is recorded and the API restarted with its processes on (docs/operations.md, "The simulator").
        break;
    }
  }
}

function scriptStay(s: PlannedStay, add: Add): void {
  const actor = staff(s.institutionId);
  const registrar = staff(s.institutionId, 'registrar');
  const admission = `admission:${s.name}`;
  /** The records office corrects a care time, a while after the wrong one was entered at `enteredAt`. */
  const correct = (targetType: CorrectableType, target: string, at: number, enteredAt: number) =>
    add(enteredAt + CORRECTION_DELAY, registrar, (ids) =>
      ofEvent(ids, ids(target), 'corrections', { targetType, occurredAt: iso(at), patch: {} }),
    );
  /** A route of this stay's admission: move, leave, return, discharge. */
  const ofAdmission =
    (action: string, body: CommandRequest['body']) =>
    (ids: JourneyIds): CommandRequest => ({
      path: journeyRoute(ids, `/admissions/${ids(admission)}/${action}`),
      body,
    });
  const dischargeBody = (at: number) => ({
    disposition: s.disposition,
    ...(s.destination !== null ? { destinationInstitutionId: s.destination } : {}),
    occurredAt: iso(at),
  });
  /** An admission; with `dischargedAt`, a whole past stay at once (the admission with its discharge). */
  const admit =
    (wardId: string, at: number, dischargedAt?: number) =>
    (ids: JourneyIds): CommandRequest => ({
      path: journeyRoute(ids, '/admissions'),
      body: {
        institutionId: s.institutionId,
        wardId,
        ...(s.referral !== null ? { referralId: ids(`referral:${s.referral}`) } : {}),
        occurredAt: iso(at),
        ...(dischargedAt !== undefined ? { discharge: dischargeBody(dischargedAt) } : {}),
      },
    });
  const moves = (enteredAt: number | null) =>
    s.moves.forEach((move, k) =>
      add(
        enteredAt === null ? move.at : enteredAt + k * MINUTE,
        actor,
        ofAdmission('move', { toWardId: move.wardId, occurredAt: iso(move.at) }),
      ),
    );
  const surgery = (at: number, enteredAt: number) =>
    add(enteredAt, actor, (ids) => ({
      path: journeyRoute(ids, '/surgeries'),
      body: { institutionId: s.institutionId, procedureCode: '36.06', occurredAt: iso(at) },
    }));
  const rehab = (at: number, enteredAt: number) =>
    add(enteredAt, actor, (ids) => ({
      path: journeyRoute(ids, '/rehab-sessions'),
      body: { institutionId: s.institutionId, therapyCode: 'rehab-1', occurredAt: iso(at) },
    }));
  const wholeAt = s.wholeEnteredAt;
  if (wholeAt !== null && s.dischargedAt !== null) {
    // A whole past stay entered at once (issue 16): the admission with its discharge, then what happened in it. It
    // overlaps no other stay, so it may be entered at any time; the plan makes no mistake on it.
    add(wholeAt, actor, admit(s.wardId, s.admittedAt, s.dischargedAt), {
      created: { admissionId: admission },
      events: { PatientAdmitted: `admit:${s.name}`, PatientDischarged: `discharge:${s.name}` },
    });
    moves(s.movesEnteredAt ?? wholeAt + MINUTE);
    if (s.surgeryAt !== null) surgery(s.surgeryAt, s.surgeryEnteredAt ?? wholeAt + 2 * MINUTE);
    for (const at of s.rehabAt) rehab(at, wholeAt + 3 * MINUTE);
    return;
  }
  // The admission is entered as the patient reaches the bed, unless the wrong ward was picked first: the records
  // office then enters that admission in error and the ward enters the right one, a few minutes later.
  let admittedRecordAt = s.admittedAt;
  if (s.wrongWardFirst !== null) {
    const wrong = `admit:${s.name}:wrong`;
    add(s.admittedAt, actor, admit(s.wrongWardFirst, s.recordedAdmittedAt ?? s.admittedAt), {
      events: { PatientAdmitted: wrong },
    });
    add(s.admittedAt + 10 * MINUTE, registrar, (ids) =>
      ofEvent(ids, ids(wrong), 'entered-in-error', { reason: 'other' }),
    );
    admittedRecordAt = s.admittedAt + 20 * MINUTE;
  }
  add(admittedRecordAt, actor, admit(s.wardId, s.recordedAdmittedAt ?? s.admittedAt), {
    created: { admissionId: admission },
    events: { PatientAdmitted: `admit:${s.name}` },
  });
  if (s.recordedAdmittedAt !== null)
    correct('PatientAdmitted', `admit:${s.name}`, s.admittedAt, admittedRecordAt);
  // Moves and a surgery typed in after the discharge (issue 16) are entered then; the others as they happen.
  moves(s.movesEnteredAt);
  const leave = s.leave;
  if (leave) {
    const recorded = s.recordedLeave ?? { from: leave.from, to: leave.to };
    add(leave.from, actor, ofAdmission('leave', { holdBed: true, occurredAt: iso(recorded.from) }), {
      events: { LeaveStarted: `leave:${s.name}` },
    });
    // Still away at the end of the period: the return has not happened yet.
    const returnAt = leave.to;
    const recordedReturn = recorded.to;
    if (returnAt !== null && recordedReturn !== null) {
      add(returnAt, actor, ofAdmission('return', { occurredAt: iso(recordedReturn) }), {
        events: { LeaveEnded: `return:${s.name}` },
      });
    }
    if (recorded.from !== leave.from) correct('LeaveStarted', `leave:${s.name}`, leave.from, leave.from);
    if (returnAt !== null && recordedReturn !== returnAt) {
      correct('LeaveEnded', `return:${s.name}`, returnAt, returnAt);
    }
  }
  if (s.surgeryAt !== null) surgery(s.surgeryAt, s.surgeryEnteredAt ?? s.surgeryAt);
  for (const at of s.rehabAt) rehab(at, at);
  const discharge = (at: number) => ofAdmission('discharge', dischargeBody(at));
  if (s.wrongDischargeAt !== null) {
    const wrong = `discharge:${s.name}:wrong`;
    add(s.wrongDischargeAt, actor, discharge(s.wrongDischargeAt), { events: { PatientDischarged: wrong } });
    add(s.wrongDischargeAt + 20 * MINUTE, registrar, (ids) =>
      ofEvent(ids, ids(wrong), 'entered-in-error', { reason: 'wrong-patient' }),
    );
  }
  // Still in hospital at the end of the period: the discharge has not happened yet.
  const dischargedAt = s.dischargedAt;
  if (dischargedAt === null) return;
  const dischargeRecordedAt = dischargedAt + s.lateDischargeBy;
  add(dischargeRecordedAt, actor, discharge(s.recordedDischargedAt ?? dischargedAt), {
    events: { PatientDischarged: `discharge:${s.name}` },
  });
  if (s.recordedDischargedAt !== null) {
    correct('PatientDischarged', `discharge:${s.name}`, dischargedAt, dischargeRecordedAt);
  }
}

/** A family-doctor or slot command; `created` names ids of its answer for the commands after it. */
export interface FamilyDoctorStep {
  readonly at: number;
  readonly actor: Actor;
  readonly request: (ids: JourneyIds) => CommandRequest;
  readonly created?: Readonly<Record<string, string>>;
}

/**
 * The plan's population, contracts and slot commands (issue 19), in care-time order: each block's stream takes its
 * commands in the order they happened, as the release rule (what is free, what is held for priority) depends on it.
 * The health commission records the population; a centre signs and books as the resident's doctor; a hospital's
 * outpatient office publishes, releases and records attended or no-show.
 */
export function familyDoctorSteps(plan: Plan): FamilyDoctorStep[] {
  const fd = plan.familyDoctors;
  if (fd === null) return [];
  const p = fd.population;
  const steps: FamilyDoctorStep[] = [
    {
      at: p.recordedAt,
      actor: staff('SIM-HC', 'admin'),
      request: () => ({
        path: `/regions/${p.regionCode}/population`,
        body: {
          effectiveOn: p.effectiveOn,
          residents: p.residents,
          keyGroupResidents: p.keyGroupResidents,
          byKeyGroup: p.byKeyGroup,
          centres: p.centres,
          source: 'simulated catchment',
          occurredAt: iso(p.recordedAt),
        },
      }),
    },
    ...fd.contracts.map((c) => ({
      at: c.signedAt,
      actor: staff(c.centreId),
      request: () => ({
        path: '/family-doctors/contracts',
        body: {
          residentId: c.residentId,
          residenceRegion: c.regionCode,
          doctorId: c.doctorId,
          centreId: c.centreId,
          startDate: c.startDate,
          keyGroups: c.keyGroups,
          occurredAt: iso(c.signedAt),
        },
      }),
    })),
  ];
  fd.blocks.forEach((block, b) => {
    const office = staff(block.hospitalId, 'admin');
    const blockPath = (ids: JourneyIds) => `/slot-blocks/${ids(`block:${b}`)}`;
    steps.push(
      {
        at: block.publishedAt,
        actor: office,
        request: () => ({
          path: '/slot-blocks',
          body: {
            hospitalId: block.hospitalId,
            department: block.department,
            clinicianGrade: 'chief',
            count: block.count,
            date: block.date,
            startTime: block.startTime,
            occurredAt: iso(block.publishedAt),
          },
        }),
        created: { blockId: `block:${b}` },
      },
      {
        at: block.releasedAt,
        actor: office,
        request: (ids) => ({
          path: `${blockPath(ids)}/releases`,
          body: { count: block.released, occurredAt: iso(block.releasedAt) },
        }),
      },
    );
    block.bookings.forEach((booking, k) => {
      const name = `booking:${b}:${k}`;
      steps.push({
        at: booking.at,
        actor: staff(booking.centreId),
        request: (ids) => ({
          path: `${blockPath(ids)}/bookings`,
          body: { residentId: booking.residentId, doctorId: booking.doctorId, occurredAt: iso(booking.at) },
        }),
        created: { bookingId: name },
      });
      const end = booking.end;
      if (end === null) return;
      steps.push({
        at: end.at,
        actor: end.kind === 'cancelled' ? staff(booking.centreId) : office,
        request: (ids) => ({
          path: `${blockPath(ids)}/bookings/${ids(name)}/${end.kind === 'cancelled' ? 'cancel' : end.kind}`,
          body: {
            ...(end.kind === 'cancelled' ? { reason: 'patient-declined' } : {}),
            occurredAt: iso(end.at),
          },
        }),
      });
    });
  });
  return steps.sort((x, y) => x.at - y.at);
}
