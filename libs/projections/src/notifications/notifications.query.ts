import type Database from 'better-sqlite3';
import { preparedOn } from '../runtime/sql-reader';
import {
  type NotificationRow,
  notificationsTable,
  type WebhookEndpointRow,
  webhookEndpointsTable,
} from './notifications.projection';

const SEQUENCE = notificationsTable.column('sequence');
const INSTITUTION = notificationsTable.column('institutionId');

/** An institution's notifications numbered after `since`, oldest first, at most `limit`. */
export function queryNotifications(
  db: Database.Database,
  institutionId: string,
  since: number,
  limit: number,
): NotificationRow[] {
  return preparedOn(
    db,
    `SELECT * FROM ${notificationsTable.name} WHERE ${INSTITUTION} = ? AND ${SEQUENCE} > ? ORDER BY ${SEQUENCE} LIMIT ?`,
  )
    .all(institutionId, since, limit)
    .map((row) => notificationsTable.read(row));
}

/** The highest number given so far (0 before the first): where a new reader of the stream starts. */
export function lastNotificationSequence(db: Database.Database): number {
  return (
    preparedOn(db, `SELECT COALESCE(MAX(${SEQUENCE}), 0) AS s FROM ${notificationsTable.name}`).get() as {
      s: number;
    }
  ).s;
}

/** Every notification numbered after `since` (any institution), oldest first: what the dispatcher fans out. */
export function queryNotificationsAfter(
  db: Database.Database,
  since: number,
  limit: number,
): NotificationRow[] {
  return preparedOn(
    db,
    `SELECT * FROM ${notificationsTable.name} WHERE ${SEQUENCE} > ? ORDER BY ${SEQUENCE} LIMIT ?`,
  )
    .all(since, limit)
    .map((row) => notificationsTable.read(row));
}

/** Endpoints as the notifications read model has them (`active` false once removed). */
export function queryWebhookEndpoints(db: Database.Database): WebhookEndpointRow[] {
  return preparedOn(
    db,
    `SELECT * FROM ${webhookEndpointsTable.name} ORDER BY ${webhookEndpointsTable.column('endpointId')}`,
  )
    .all()
    .map((row) => webhookEndpointsTable.read(row));
}
