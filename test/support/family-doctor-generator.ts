import {
  type CommandMetadata,
  decideFamilyDoctorContract,
  decideRegionPopulation,
  decideSlotBlock,
  DEFAULT_SLOT_RELEASE_POLICY,
  evolveFamilyDoctorContract,
  evolveSlotBlock,
  type FamilyDoctorContractCommand,
  familyDoctorContractStreamId,
  initialFamilyDoctorContractState,
  initialSlotBlockState,
  type InstitutionSnapshot,
  type KeyGroup,
  regionPopulationStreamId,
  signedContractOn,
  type SlotBlockCommand,
  slotBlockStreamId,
} from '@carepath/domain';
import type { EventToAppend } from '@carepath/event-store';

/**
 * Deterministic family-doctor contracts, slot blocks and a region's population for projection specs and benchmarks,
 * decided by the real deciders so that every stream is one the API could have written. No randomness beyond a
 * seeded LCG.
 */
export const FD_REGION = '310112';
export const FD_CENTRES: readonly InstitutionSnapshot[] = [
  { institutionId: 'CHC-FD-01', tier: 'community', allianceId: 'FD-A1', regionCode: FD_REGION },
  { institutionId: 'CHC-FD-02', tier: 'community', allianceId: 'FD-A2', regionCode: FD_REGION },
];
export const FD_HOSPITALS: readonly InstitutionSnapshot[] = [
  { institutionId: 'HOSP-FD-01', tier: 'tertiary', allianceId: 'FD-A1', regionCode: FD_REGION },
  { institutionId: 'HOSP-FD-02', tier: 'secondary', allianceId: 'FD-A2', regionCode: FD_REGION },
];
export const FD_DEPARTMENTS = ['cardiology', 'endocrinology', 'neurology'] as const;

interface Stream {
  readonly streamId: string;
  readonly events: EventToAppend[];
}

const meta = (occurredAt: string, institutionId: string, n: number): CommandMetadata => ({
  occurredAt,
  recordedAt: '2026-03-01T00:00:00.000Z',
  actorId: 'gen',
  actorRole: 'system',
  institutionId,
  correlationId: `fd-${n}`,
  causationId: `fd-${n}`,
});

let counter = 0;
const stored = (event: { type: string; data: object }, metadata: CommandMetadata): EventToAppend => ({
  id: `fdgen-${++counter}`,
  type: event.type,
  schemaVersion: 1,
  data: event.data as Record<string, unknown>,
  metadata: { ...metadata },
});

export function institutionRegistrations(): Stream[] {
  return [...FD_CENTRES, ...FD_HOSPITALS].map((inst, n) => ({
    streamId: `institution-${inst.institutionId}`,
    events: [
      stored(
        { type: 'InstitutionRegistered', data: { ...inst, name: inst.institutionId } },
        meta('2026-01-01T00:00:00+08:00', inst.institutionId, n),
      ),
    ],
  }));
}

export function populationStream(residents: number): Stream {
  const command = {
    type: 'RecordRegionPopulation' as const,
    data: {
      regionCode: FD_REGION,
      effectiveOn: '2026-01-01',
      residents,
      keyGroupResidents: Math.floor(residents / 2),
      byKeyGroup: { hypertension: Math.floor(residents / 4) },
      centres: FD_CENTRES.map((c) => ({
        centreId: c.institutionId,
        residents: Math.floor(residents / 2),
        keyGroupResidents: Math.floor(residents / 4),
      })),
      source: 'generated',
    },
    metadata: meta('2026-01-02T09:00:00+08:00', 'CHC-FD-01', 0),
  };
  return {
    streamId: regionPopulationStreamId(FD_REGION),
    events: decideRegionPopulation(command, { regionCode: null, figures: [] }).map((e) =>
      stored(e, command.metadata),
    ),
  };
}

const GROUP_SETS: readonly (readonly KeyGroup[])[] = [
  [],
  ['hypertension'],
  ['age-60-plus', 'type-2-diabetes'],
  ['age-60-plus'],
  ['age-60-plus', 'age-65-plus', 'hypertension'],
];

/** One resident's contract stream: signed on 2 January, some changed, transferred or ended later. */
export function contractStream(i: number): {
  stream: Stream;
  state: ReturnType<typeof initialFamilyDoctorContractState>;
} {
  const residentId = `res-${i}`;
  const centre = FD_CENTRES[i % FD_CENTRES.length]!;
  let state = initialFamilyDoctorContractState();
  const events: EventToAppend[] = [];
  const run = (
    command: Omit<FamilyDoctorContractCommand, 'metadata'>,
    occurredAt: string,
    institutionId: string,
  ) => {
    const metadata = meta(occurredAt, institutionId, i);
    for (const event of decideFamilyDoctorContract(
      { ...command, metadata } as FamilyDoctorContractCommand,
      state,
    )) {
      const e = stored(event, metadata);
      state = evolveFamilyDoctorContract(state, { ...event, id: e.id, metadata });
      events.push(e);
    }
  };
  const contractId = `con-${i}`;
  run(
    {
      type: 'SignFamilyDoctorContract',
      data: {
        contractId,
        residentId,
        residenceRegion: FD_REGION,
        doctorId: `doc-${i % 4}`,
        centre,
        startDate: '2026-01-02',
        termMonths: 12,
        keyGroups: GROUP_SETS[i % GROUP_SETS.length]!,
      },
    },
    '2026-01-02T09:00:00+08:00',
    centre.institutionId,
  );
  if (i % 7 === 3) {
    run(
      { type: 'ChangeResidentKeyGroups', data: { contractId, keyGroups: ['disability'] } },
      '2026-02-01T09:00:00+08:00',
      centre.institutionId,
    );
  }
  if (i % 11 === 5) {
    const to = FD_CENTRES[(i + 1) % FD_CENTRES.length]!;
    run(
      {
        type: 'TransferFamilyDoctorContract',
        data: { contractId, toDoctorId: `doc-x${i % 3}`, toCentre: to },
      },
      '2026-02-10T09:00:00+08:00',
      centre.institutionId,
    );
  }
  if (i % 13 === 6) {
    run(
      { type: 'EndFamilyDoctorContract', data: { contractId, reason: 'moved-away' } },
      '2026-02-20T09:00:00+08:00',
      (signedContractOn(state, '2026-02-20') ?? { centreId: centre.institutionId }).centreId,
    );
  }
  return { stream: { streamId: familyDoctorContractStreamId(residentId), events }, state };
}

/**
 * One slot block on a date in March 2026: published and released on 1 March, booked by residents (signed ones with
 * their contract), some bookings cancelled, the others attended or missed after the session.
 */
export function slotBlockStream(
  b: number,
  contracts: (residentIndex: number) => ReturnType<typeof initialFamilyDoctorContractState>,
  residents: number,
  count = 20,
): Stream {
  const hospital = FD_HOSPITALS[b % FD_HOSPITALS.length]!;
  const day = 10 + (b % 5);
  const date = `2026-03-${day}`;
  const blockId = `blk-${b}`;
  let state = initialSlotBlockState();
  const events: EventToAppend[] = [];
  const run = (command: Omit<SlotBlockCommand, 'metadata'>, occurredAt: string, institutionId: string) => {
    const metadata = meta(occurredAt, institutionId, b);
    for (const event of decideSlotBlock({ ...command, metadata } as SlotBlockCommand, state)) {
      const e = stored(event, metadata);
      state = evolveSlotBlock(state, { ...event, id: e.id, metadata });
      events.push(e);
    }
  };
  run(
    {
      type: 'PublishSlotBlock',
      data: {
        blockId,
        hospital,
        department: FD_DEPARTMENTS[b % FD_DEPARTMENTS.length]!,
        clinicianGrade: 'chief',
        date,
        startTime: '08:30',
        utcOffsetMinutes: 480,
        count,
      },
    },
    '2026-03-01T09:00:00+08:00',
    hospital.institutionId,
  );
  run(
    {
      type: 'ReleaseSlots',
      data: { blockId, releaseId: `rel-${b}`, count: count - 2, policy: DEFAULT_SLOT_RELEASE_POLICY },
    },
    '2026-03-01T10:00:00+08:00',
    hospital.institutionId,
  );
  const bookingAt = `2026-03-${String(day - 3).padStart(2, '0')}T09:00:00+08:00`;
  const take = Math.min(residents, count - 4 - (b % 3));
  const booked: string[] = [];
  for (let k = 0; k < take; k++) {
    const r = (b * 7 + k * 3) % residents;
    const resident = contracts(r);
    const contract = signedContractOn(resident, bookingAt.slice(0, 10));
    const centreId = contract?.centreId ?? FD_CENTRES[r % FD_CENTRES.length]!.institutionId;
    const bookingId = `bk-${b}-${k}`;
    const before = events.length;
    try {
      run(
        {
          type: 'BookSlot',
          data: {
            blockId,
            bookingId,
            residentId: `res-${r}`,
            doctorId: contract?.doctorId ?? `doc-${r % 4}`,
            centreId,
            contract,
            seenAtCentre: true,
          },
        },
        bookingAt,
        centreId,
      );
    } catch {
      // Refused (the resident is already booked in this session, or what is left is held for priority): skipped.
    }
    if (events.length > before) booked.push(bookingId);
  }
  booked.forEach((bookingId, k) => {
    if (k % 5 === 4) {
      run(
        { type: 'CancelSlotBooking', data: { blockId, bookingId, reason: 'patient-declined' } },
        `2026-03-${String(day - 2).padStart(2, '0')}T09:00:00+08:00`,
        hospital.institutionId,
      );
    } else {
      run(
        { type: k % 4 === 1 ? 'RecordSlotNoShow' : 'RecordSlotAttendance', data: { blockId, bookingId } },
        `${date}T12:00:00+08:00`,
        hospital.institutionId,
      );
    }
  });
  return { streamId: slotBlockStreamId(blockId), events };
}

/** Everything together: institutions, the population, `residents` contract streams and `blocks` slot blocks. */
export function familyDoctorLog(residents: number, blocks: number, slotsPerBlock = 20): Stream[] {
  const contracts = Array.from({ length: residents }, (_, i) => contractStream(i));
  return [
    ...institutionRegistrations(),
    populationStream(residents * 2),
    ...contracts.map((c) => c.stream),
    ...Array.from({ length: blocks }, (_, b) =>
      slotBlockStream(b, (r) => contracts[r]!.state, residents, slotsPerBlock),
    ),
  ];
}
