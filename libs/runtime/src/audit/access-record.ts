import { type EventStore, timeOrderedId, WrongExpectedRevisionError } from '@carepath/event-store';

/**
 * Why a journey's record is read (PIPL: purpose of processing). A closed list: treatment, care coordination, audit,
 * quality review, the patient's own request, a legal obligation, and `emergency`, the break-glass reason, which
 * needs a justification (X-Access-Justification) and is flagged for review in the access log.
 */
export const ACCESS_REASONS = [
  'treatment',
  'care-coordination',
  'audit',
  'quality-review',
  'patient-request',
  'legal',
  'emergency',
] as const;
export type AccessReason = (typeof ACCESS_REASONS)[number];

/** Access records live in their own category, never in a journey's care stream (issue 5). */
export const ACCESS_STREAM_PREFIX = 'access-';
export const accessStreamId = (journeyId: string) => `${ACCESS_STREAM_PREFIX}${journeyId}`;
/** Worklist reads (patient-level: they list patients and journeys) are recorded per institution. */
export const worklistAccessStreamId = (institutionId: string) =>
  `${ACCESS_STREAM_PREFIX}worklist-${institutionId}`;

/**
 * Appends one access record, before the record it describes is served: the API's reads and the CLI's exports both
 * come here, so an auditor finds them in one place.
 */
export async function appendAccessRecord(
  store: EventStore,
  streamId: string,
  at: string,
  who: Readonly<
    Record<'actorId' | 'issuer' | 'actorRole' | 'institutionId' | 'correlationId' | 'requestId', string>
  >,
  data: Record<string, unknown>,
): Promise<void> {
  const event = () => ({
    id: timeOrderedId(),
    type: data.resource === 'worklist' ? 'WorklistAccessed' : 'JourneyRecordAccessed',
    schemaVersion: 1,
    data,
    metadata: {
      occurredAt: at,
      recordedAt: at,
      actorId: who.actorId,
      actorIssuer: who.issuer,
      actorRole: who.actorRole,
      institutionId: who.institutionId,
      correlationId: who.correlationId,
      causationId: who.requestId,
    },
  });
  // Exact expected revisions keep the store's hash chain linear; concurrent readers of one journey retry.
  for (let attempt = 1; ; attempt++) {
    const revision = await store.streamRevision(streamId);
    try {
      await store.append(streamId, [event()], { expectedRevision: revision });
      return;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= 10) throw error;
    }
  }
}
