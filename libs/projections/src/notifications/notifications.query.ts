import type { SqlReader } from '../runtime/sql-reader';
import {
  type NotificationRow,
  notificationsTable,
  type WebhookEndpointRow,
  webhookEndpointsTable,
} from './notifications.projection';

const SEQUENCE = notificationsTable.column('sequence');
const INSTITUTION = notificationsTable.column('institutionId');

/** An institution's notifications numbered after `since`, oldest first, at most `limit`. */
export async function queryNotifications(
  reader: SqlReader,
  institutionId: string,
  since: number,
  limit: number,
): Promise<NotificationRow[]> {
  const rows = await reader.all(
    `SELECT * FROM ${notificationsTable.name} WHERE ${INSTITUTION} = @institutionId AND ${SEQUENCE} > @since
       ORDER BY ${SEQUENCE} LIMIT @limit`,
    { institutionId, since, limit },
  );
  return rows.map((row) => notificationsTable.read(row));
}

/** Endpoints as the notifications read model has them (`active` false once removed). */
export async function queryWebhookEndpoints(reader: SqlReader): Promise<WebhookEndpointRow[]> {
  const rows = await reader.all(
    `SELECT * FROM ${webhookEndpointsTable.name} ORDER BY ${webhookEndpointsTable.column('endpointId')}`,
  );
  return rows.map((row) => webhookEndpointsTable.read(row));
}
