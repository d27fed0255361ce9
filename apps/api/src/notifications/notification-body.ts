import type { NotificationRow } from '@carepath/projections';

/** A notification as the feed, the event stream and a webhook carry it: ids, codes and times only. */
export type NotificationBody = { readonly id: string } & Omit<NotificationRow, 'notificationId'>;

export function notificationBody({ notificationId, ...rest }: NotificationRow): NotificationBody {
  return { id: notificationId, ...rest };
}
