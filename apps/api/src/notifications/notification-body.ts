import type { NotificationRow } from '@carepath/projections';

/** A notification as the feed, the event stream and a webhook carry it: ids, codes and times only. */
export interface NotificationBody {
  readonly id: string;
  readonly sequence: number;
  readonly kind: string;
  readonly institutionId: string;
  readonly journeyId: string | null;
  readonly referralId: string | null;
  readonly proposalId: string | null;
  readonly followUpId: string | null;
  readonly blockId: string | null;
  readonly bookingId: string | null;
  readonly dueAt: string | null;
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
}

export function notificationBody(row: NotificationRow): NotificationBody {
  return {
    id: row.notificationId,
    sequence: row.sequence,
    kind: row.kind,
    institutionId: row.institutionId,
    journeyId: row.journeyId,
    referralId: row.referralId,
    proposalId: row.proposalId,
    followUpId: row.followUpId,
    blockId: row.blockId,
    bookingId: row.bookingId,
    dueAt: row.dueAt,
    eventId: row.eventId,
    eventType: row.eventType,
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
  };
}
