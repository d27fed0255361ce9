import type { EventStore } from '@carepath/event-store';

/*
 * A log touching every kind of notification (docs/notifications.md): for the projection's unit specs on the embedded
 * store and its contract on PostgreSQL.
 */

const snapshot = (institutionId: string, allianceId: string | null = 'ALLY-CY') => ({
  institutionId,
  tier: 'secondary',
  allianceId,
  regionCode: '110105',
});
const meta = (i: number) => ({
  occurredAt: `2026-03-01T09:${String(i % 60).padStart(2, '0')}:00+08:00`,
  recordedAt: `2026-03-01T01:${String(i % 60).padStart(2, '0')}:05.000Z`,
  actorId: 'dr-1',
  actorRole: 'doctor',
  institutionId: 'CHC-CY-01',
  correlationId: 'c',
  causationId: 'r',
});
export const request = (
  referralId: string,
  from: string,
  toId: string,
  redirectedFrom: string | null = null,
) => ({
  type: 'UpwardReferralRequested',
  data: {
    referralId,
    from: snapshot(from),
    to: snapshot(toId),
    department: 'cardiology',
    priority: 'urgent',
    setting: 'inpatient',
    reasonCode: 'I21.4',
    deadline: '2026-03-02T09:00:00+08:00',
    redirectedFromReferralId: redirectedFrom,
  },
});

const registered = (institutionId: string, name: string) => ({
  streamId: `institution-${institutionId}`,
  events: [{ type: 'InstitutionRegistered', data: { ...snapshot(institutionId), name } }],
});

/** A log touching every kind: two journeys, a slot block, three registered institutions, one webhook endpoint. */
function notificationLog(): { streamId: string; events: { type: string; data: object }[] }[] {
  return [
    registered('HOSP-CY-01', 'H'),
    registered('HOSP-CY-02', 'H2'),
    registered('CHC-CY-01', 'C'),
    {
      streamId: 'webhook-endpoints-HOSP-CY-01',
      events: [
        {
          type: 'WebhookEndpointRegistered',
          data: {
            endpointId: 'ep-1',
            institutionId: 'HOSP-CY-01',
            url: 'https://h/x',
            kinds: [],
            secretVersion: 1,
          },
        },
      ],
    },
    {
      streamId: 'journey-j1',
      events: [
        { type: 'JourneyOpened', data: { journeyId: 'j1', patientId: 'p-1' } },
        request('r1', 'CHC-CY-01', 'HOSP-CY-01'),
        { type: 'ReferralReceived', data: { referralId: 'r1' } },
        {
          type: 'ReferralRejected',
          data: {
            referralId: 'r1',
            reason: 'capacity-full',
            redirectedToInstitutionId: 'HOSP-CY-02',
            redirectReferralId: 'r1-redirect',
          },
        },
        request('r1-redirect', 'CHC-CY-01', 'HOSP-CY-02', 'r1'),
        {
          type: 'ReferralDueSoon',
          data: { referralId: 'r1-redirect', deadline: '2026-03-02T09:00:00+08:00' },
        },
        {
          type: 'ReferralExpired',
          data: { referralId: 'r1-redirect', deadline: '2026-03-02T09:00:00+08:00' },
        },
        {
          type: 'ReferralEscalated',
          data: { referralId: 'r1-redirect', allianceId: 'ALLY-CY', reason: 'expired' },
        },
      ],
    },
    {
      streamId: 'journey-j2',
      events: [
        { type: 'JourneyOpened', data: { journeyId: 'j2', patientId: 'p-2' } },
        request('r2', 'CHC-CY-01', 'HOSP-CY-01'),
        { type: 'ReferralAccepted', data: { referralId: 'r2' } },
        {
          type: 'DownwardTransferProposed',
          data: {
            proposalId: 'pr-1',
            admissionId: 'a-1',
            surgeryId: 's-1',
            from: snapshot('HOSP-CY-01'),
            to: snapshot('CHC-CY-01'),
            basis: 'alliance-centre',
            signedDoctorId: null,
          },
        },
        {
          type: 'FollowUpOwed',
          data: {
            followUpId: 'f-1',
            admissionId: 'a-1',
            dischargedAt: '2026-03-10T10:00:00+08:00',
            owedBy: snapshot('CHC-CY-01'),
            signedDoctorId: null,
            dueBy: '2026-03-24T10:00:00+08:00',
            basis: 'standard',
          },
        },
      ],
    },
    {
      streamId: 'slot-block-b1',
      events: [
        { type: 'SlotBlockPublished', data: { blockId: 'b1', hospital: snapshot('HOSP-CY-01') } },
        {
          type: 'SlotBooked',
          data: {
            blockId: 'b1',
            bookingId: 'k1',
            releaseId: 'rel',
            residentId: 'p-9',
            doctorId: 'fd',
            centreId: 'CHC-CY-01',
          },
        },
        {
          type: 'SlotBookingCancelled',
          data: { blockId: 'b1', bookingId: 'k1', releaseId: 'rel', reason: 'other', cancelledBy: 'centre' },
        },
      ],
    },
  ];
}

/** The log appended to `store` with its streams interleaved, each in two appends, as writes arrive live. */
export async function appendNotificationLog(store: EventStore): Promise<void> {
  let i = 0;
  const stamp = (e: { type: string; data: object }) => ({
    ...e,
    id: `evt-${++i}`,
    schemaVersion: 1,
    data: e.data as Record<string, unknown>,
    metadata: meta(i),
  });
  const streams = notificationLog();
  for (const { streamId, events } of streams)
    await store.append(streamId, events.slice(0, 2).map(stamp), { expectedRevision: 'no-stream' });
  for (const { streamId, events } of streams)
    if (events.length > 2) await store.append(streamId, events.slice(2).map(stamp), { expectedRevision: 1n });
}
