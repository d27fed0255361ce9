import {
  type CommandMetadata,
  decideJourney,
  DEFAULT_DEADLINE_POLICY,
  evolveJourney,
  initialJourneyState,
  type InstitutionSnapshot,
  type JourneyCommand,
  type JourneyState,
  journeyStreamId,
} from '@carepath/domain';
import type { EventStore, EventToAppend } from '@carepath/event-store';

/**
 * Deterministic journeys for projection tests and benchmarks, produced through the real decider so every stream
 * is one the API could have written. `seed` varies ids and times; no randomness beyond a seeded LCG.
 */
export const GEN_CHC: InstitutionSnapshot = {
  institutionId: 'CHC-GEN-01',
  tier: 'community',
  allianceId: 'GEN-G1',
  regionCode: '110105',
};
export const GEN_HOSP: InstitutionSnapshot = {
  institutionId: 'HOSP-GEN-01',
  tier: 'tertiary',
  allianceId: 'GEN-G1',
  regionCode: '110105',
};

export function institutionStreams(): { streamId: string; events: EventToAppend[] }[] {
  const meta = {
    occurredAt: '2026-01-01T00:00:00+08:00',
    recordedAt: '2026-01-01T00:00:00.000Z',
    actorId: 'gen',
    actorRole: 'admin',
    institutionId: 'HC-GEN',
    correlationId: 'gen',
    causationId: 'gen',
  };
  const stream = (inst: InstitutionSnapshot, wards: [string, number][]) => ({
    streamId: `institution-${inst.institutionId}`,
    events: [
      {
        id: `inst-${inst.institutionId}`,
        type: 'InstitutionRegistered',
        schemaVersion: 1,
        data: { ...inst, name: inst.institutionId },
        metadata: meta,
      },
      ...wards.map(([wardId, openBeds]) => ({
        id: `ward-${inst.institutionId}-${wardId}`,
        type: 'WardOpened',
        schemaVersion: 1,
        data: { institutionId: inst.institutionId, wardId, specialty: wardId, openBeds },
        metadata: meta,
      })),
    ],
  });
  return [stream(GEN_CHC, [['rehab', 40]]), stream(GEN_HOSP, [['cardio-surg', 60]])];
}

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

/**
 * Commands decided one after another against the journey they build, each event kept as the write path would append
 * it (`eventId` names the n-th). What the API would refuse throws, so a generated stream is always one it could write.
 */
export function journeyRecorder(eventId: (n: number) => string): {
  readonly events: EventToAppend[];
  record(command: Omit<JourneyCommand, 'metadata'>, metadata: CommandMetadata): void;
} {
  let state: JourneyState = initialJourneyState();
  const events: EventToAppend[] = [];
  return {
    events,
    record(command, metadata) {
      for (const event of decideJourney({ ...command, metadata } as JourneyCommand, state)) {
        const id = eventId(events.length);
        state = evolveJourney(state, { ...event, id, metadata });
        events.push({ id, type: event.type, schemaVersion: 1, data: event.data, metadata: { ...metadata } });
      }
    },
  };
}

/** One journey's events: visit, upward referral, accept, admission, surgery, discharge; some with a leave. */
export function generateJourney(index: number, seed = 1): { streamId: string; events: EventToAppend[] } {
  const rand = lcg(seed * 1_000_003 + index);
  const journeyId = `00000000-0000-4000-8000-${String(seed).padStart(4, '0')}${String(index).padStart(8, '0')}`;
  let t =
    Date.parse('2026-01-05T01:00:00Z') +
    Math.floor(rand() * 300) * 86_400_000 +
    Math.floor(rand() * 600) * 60_000;
  // UUID-shaped and deterministic: EventStoreDB requires UUID event ids.
  const journey = journeyRecorder((n) => `${hex(seed, 8)}-${hex(n, 4)}-4000-8000-${hex(index, 12)}`);
  const out = journey.events;
  const id = (name: string) => `${name}-${seed}-${index}`;
  const run = (command: Omit<JourneyCommand, 'metadata'>, institutionId: string, minutes: number) => {
    t += minutes * 60_000;
    journey.record(command, {
      occurredAt: iso(t),
      recordedAt: iso(t + 60_000),
      actorId: 'gen',
      actorRole: 'doctor',
      institutionId,
      correlationId: journeyId,
      causationId: `${journeyId}-${out.length}`,
    });
  };
  const ward = (inst: InstitutionSnapshot, wardId: string) => ({
    institutionId: inst.institutionId,
    wardId,
    openBeds: 50,
    occupiedBeds: 0,
  });
  run(
    {
      type: 'OpenJourney',
      data: {
        journeyId,
        patientId: `pt-gen${index}`,
        residenceRegion: '110105',
        visitId: id('visit'),
        institution: GEN_CHC,
        visitType: 'outpatient',
        diagnosisCode: 'I21.4',
      },
    },
    GEN_CHC.institutionId,
    0,
  );
  const referralId = id('refu');
  run(
    {
      type: 'RequestReferral',
      data: {
        referralId,
        direction: 'up',
        from: GEN_CHC,
        to: GEN_HOSP,
        department: 'cardiology',
        priority: 'urgent',
        setting: 'inpatient',
        reasonCode: 'I21.4',
        deadlinePolicy: DEFAULT_DEADLINE_POLICY,
      },
    },
    GEN_CHC.institutionId,
    30,
  );
  if (rand() < 0.1) {
    run(
      {
        type: 'RejectReferral',
        data: {
          referralId,
          reason: 'not-indicated',
          redirectTo: null,
          redirectReferralId: null,
          deadlinePolicy: DEFAULT_DEADLINE_POLICY,
        },
      },
      GEN_HOSP.institutionId,
      60 + Math.floor(rand() * 600),
    );
    run({ type: 'CloseJourney', data: {} }, GEN_CHC.institutionId, 60);
    return { streamId: journeyStreamId(journeyId), events: out };
  }
  run({ type: 'ReceiveReferral', data: { referralId } }, GEN_HOSP.institutionId, 10);
  run(
    { type: 'AcceptReferral', data: { referralId } },
    GEN_HOSP.institutionId,
    30 + Math.floor(rand() * 600),
  );
  const sequential = rand() < 0.3;
  const community = id('admc');
  if (sequential) {
    run(
      {
        type: 'AdmitPatient',
        data: {
          admissionId: community,
          institution: GEN_CHC,
          ward: ward(GEN_CHC, 'rehab'),
          bedId: null,
          referralId: null,
        },
      },
      GEN_CHC.institutionId,
      30,
    );
    run({ type: 'StartLeave', data: { admissionId: community, holdBed: true } }, GEN_CHC.institutionId, 600);
  }
  const admission = id('admh');
  run(
    {
      type: 'AdmitPatient',
      data: {
        admissionId: admission,
        institution: GEN_HOSP,
        ward: ward(GEN_HOSP, 'cardio-surg'),
        bedId: null,
        referralId,
      },
    },
    GEN_HOSP.institutionId,
    120,
  );
  run(
    {
      type: 'RecordSurgery',
      data: { surgeryId: id('surg'), institutionId: GEN_HOSP.institutionId, procedureCode: '36.06' },
    },
    GEN_HOSP.institutionId,
    600 + Math.floor(rand() * 1440),
  );
  run(
    {
      type: 'DischargePatient',
      data: {
        admissionId: admission,
        disposition: sequential ? 'rehab' : 'home',
        destinationInstitutionId: sequential ? GEN_CHC.institutionId : null,
      },
    },
    GEN_HOSP.institutionId,
    1440 * (1 + Math.floor(rand() * 6)),
  );
  run({ type: 'CompleteReferral', data: { referralId } }, GEN_HOSP.institutionId, 5);
  if (sequential) {
    run({ type: 'EndLeave', data: { admissionId: community } }, GEN_CHC.institutionId, 240);
    run(
      {
        type: 'RecordRehabSession',
        data: { sessionId: id('rhb1'), institutionId: GEN_CHC.institutionId, therapyCode: 'cardiac-rehab-1' },
      },
      GEN_CHC.institutionId,
      1000,
    );
    run(
      {
        type: 'DischargePatient',
        data: { admissionId: community, disposition: 'home', destinationInstitutionId: null },
      },
      GEN_CHC.institutionId,
      1440 * (2 + Math.floor(rand() * 5)),
    );
  }
  run({ type: 'CloseJourney', data: {} }, GEN_CHC.institutionId, 60);
  return { streamId: journeyStreamId(journeyId), events: out };
}

/** Writes the generator's two institutions to `store`, as every log of generated journeys needs them first. */
export async function appendInstitutions(store: EventStore): Promise<void> {
  for (const { streamId, events } of institutionStreams())
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
}

/** Writes generated journeys `from` to `to` (excluded) to `store`. */
export async function appendJourneys(store: EventStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const { streamId, events } = generateJourney(i);
    await store.append(streamId, events, { expectedRevision: 'no-stream' });
  }
}
