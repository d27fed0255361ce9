import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  NOTIFICATION_KINDS,
  type NotificationKind,
  slotBlockStreamId,
  WEBHOOK_ENDPOINTS_PREFIX,
} from '@carepath/domain';
import type { StoredEvent } from '@carepath/event-store';
import { registeredInstitutions } from '../family-doctor/family-doctor.projection';
import { guard, INSTITUTION_PREFIX, JOURNEY_PREFIX } from '../runtime/journey-folder';
import type { ProjectionDefinition, ProjectionWriter } from '../runtime/projection';
import { flag, integer, nullable, readModelTable, text, textOf } from '../runtime/read-model-table';
import { sqliteWrites } from '../runtime/read-model-writes';
import { institutionsTable } from '../ward-occupancy/ward-occupancy.projection';
import {
  type NotificationFacts,
  notificationsOf,
  type NotificationSubject,
  type Recipient,
} from './notification.model';

/** One notification to one institution: ids and codes only (docs/notifications.md). */
export interface NotificationRow extends NotificationSubject {
  /** Derived from the event's id and the recipient: the same on every replay and rebuild. */
  readonly notificationId: string;
  /** The order notifications were projected in, per store: the feed's cursor. */
  readonly sequence: number;
  readonly institutionId: string;
  readonly kind: NotificationKind;
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
}

export const notificationsTable = readModelTable<NotificationRow>(
  'notifications',
  {
    notificationId: text,
    sequence: integer,
    institutionId: text,
    kind: textOf<NotificationKind>(),
    journeyId: nullable(text),
    referralId: nullable(text),
    proposalId: nullable(text),
    followUpId: nullable(text),
    blockId: nullable(text),
    bookingId: nullable(text),
    dueAt: nullable(text),
    eventId: text,
    eventType: text,
    occurredAt: text,
    recordedAt: text,
  },
  {
    primaryKey: ['notificationId'],
    indexes: {
      notifications_by_institution: ['institutionId', 'sequence'],
      notifications_by_sequence: ['sequence'],
    },
  },
);

/** A webhook endpoint as the dispatcher serves it: from which notification on, and which kinds. */
export interface WebhookEndpointRow {
  readonly endpointId: string;
  readonly institutionId: string;
  readonly url: string;
  /** JSON list of kinds; empty: every kind. */
  readonly kinds: string;
  readonly secretVersion: number;
  readonly active: boolean;
  /** Notifications numbered after this are its to receive (those projected once it was registered). */
  readonly afterSequence: number;
}

export const webhookEndpointsTable = readModelTable<WebhookEndpointRow>(
  'webhook_endpoints',
  {
    endpointId: text,
    institutionId: text,
    url: text,
    kinds: text,
    secretVersion: integer,
    active: flag,
    afterSequence: integer,
  },
  { primaryKey: ['endpointId'], indexes: { webhook_endpoints_by_institution: ['institutionId'] } },
);

const referralPartiesTable = readModelTable(
  'notification_referrals',
  { journeyId: text, referralId: text, fromInstitutionId: text, toInstitutionId: text },
  { primaryKey: ['journeyId', 'referralId'] },
);
const blockHospitalsTable = readModelTable(
  'notification_blocks',
  { blockId: text, hospitalId: text },
  { primaryKey: ['blockId'] },
);
const bookingCentresTable = readModelTable(
  'notification_bookings',
  { blockId: text, bookingId: text, centreId: text },
  { primaryKey: ['blockId', 'bookingId'] },
);

/** A UUID-shaped id from the event and the recipient (as the write path derives ids from idempotency keys). */
export function notificationIdOf(eventId: string, institutionId: string): string {
  const hex = createHash('sha256').update(`notification\u0000${eventId}\u0000${institutionId}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const isKind = (kind: unknown): kind is NotificationKind =>
  typeof kind === 'string' && (NOTIFICATION_KINDS as readonly string[]).includes(kind);

/**
 * The durable outbox (docs/notifications.md): one row per event and recipient institution, numbered in the order
 * the log gives them. Unlike the other read models, rows are never replaced: a notification that went out stays
 * what it was, even when the event behind it is later voided (the receiver was told; a correction is news of its
 * own). Each event is looked at once, in log order, with what earlier events established (who asked for a
 * referral, which hospital holds a block) kept in the projection's own tables, so a rebuild numbers every row as
 * the live run did, and an event applied again inserts nothing (the id is taken).
 */
export const notificationsProjection: ProjectionDefinition = {
  name: 'notifications',
  version: 1,
  streamPrefixes: [JOURNEY_PREFIX, slotBlockStreamId(''), WEBHOOK_ENDPOINTS_PREFIX, INSTITUTION_PREFIX],
  schema: [
    notificationsTable,
    webhookEndpointsTable,
    referralPartiesTable,
    blockHospitalsTable,
    bookingCentresTable,
    institutionsTable,
  ]
    .map((t) => t.create)
    .join('\n'),
  open(db: Database.Database): ProjectionWriter {
    const institution = registeredInstitutions(sqliteWrites(db));
    const insert = db.prepare(notificationsTable.insertOnConflict('nothing'));
    const lastSequence = db.prepare(
      `SELECT COALESCE(MAX(${notificationsTable.column('sequence')}), 0) AS s FROM ${notificationsTable.name}`,
    );
    const referral = db.prepare(
      `SELECT * FROM ${referralPartiesTable.name} WHERE journey_id = ? AND referral_id = ?`,
    );
    const block = db.prepare(`SELECT hospital_id FROM ${blockHospitalsTable.name} WHERE block_id = ?`);
    const booking = db.prepare(
      `SELECT centre_id FROM ${bookingCentresTable.name} WHERE block_id = ? AND booking_id = ?`,
    );
    const members = db.prepare(
      `SELECT institution_id FROM ${institutionsTable.name} WHERE alliance_id = ? ORDER BY institution_id`,
    );
    const learnReferral = db.prepare(referralPartiesTable.insertOnConflict('update'));
    const learnBlock = db.prepare(blockHospitalsTable.insertOnConflict('update'));
    const learnBooking = db.prepare(bookingCentresTable.insertOnConflict('update'));
    const upsertEndpoint = db.prepare(webhookEndpointsTable.insertOnConflict('update'));
    const endpoint = db.prepare(`SELECT * FROM ${webhookEndpointsTable.name} WHERE endpoint_id = ?`);

    let sequence = 0;
    const reload = () => {
      sequence = (lastSequence.get() as { s: number }).s;
    };
    reload();

    const facts: NotificationFacts = {
      referral: (journeyId, referralId) => {
        const row = referral.get(journeyId, referralId);
        return row ? referralPartiesTable.read(row) : null;
      },
      blockHospital: (blockId) =>
        (block.get(blockId) as { hospital_id: string } | undefined)?.hospital_id ?? null,
      bookingCentre: (blockId, bookingId) =>
        (booking.get(blockId, bookingId) as { centre_id: string } | undefined)?.centre_id ?? null,
    };
    const institutionsOf = (recipient: Recipient): string[] =>
      'institutionId' in recipient
        ? [recipient.institutionId]
        : (members.all(recipient.allianceId) as { institution_id: string }[]).map((r) => r.institution_id);

    const notify = (event: StoredEvent) => {
      const { drafts, learnt } = notificationsOf(event, facts);
      for (const fact of learnt) {
        if (fact.fact === 'referral') learnReferral.run(referralPartiesTable.encode(fact));
        else if (fact.fact === 'block') learnBlock.run(blockHospitalsTable.encode(fact));
        else learnBooking.run(bookingCentresTable.encode(fact));
      }
      for (const { recipients, ...draft } of drafts) {
        for (const institutionId of new Set(recipients.flatMap(institutionsOf))) {
          const row: NotificationRow = {
            ...draft,
            notificationId: notificationIdOf(event.id, institutionId),
            sequence: sequence + 1,
            institutionId,
            eventId: event.id,
            eventType: event.type,
            occurredAt: String(event.metadata.occurredAt),
            recordedAt: String(event.metadata.recordedAt),
          };
          if (insert.run(notificationsTable.encode(row)).changes > 0) sequence += 1;
        }
      }
    };

    const endpoints = (event: StoredEvent) => {
      const d = event.data;
      const known = endpoint.get(d.endpointId);
      const current = known ? webhookEndpointsTable.read(known) : null;
      if (event.type === 'WebhookEndpointRegistered') {
        if (current) return; // applied before: the registration keeps the sequence it was first given
        const kinds = Array.isArray(d.kinds) ? d.kinds.filter(isKind) : [];
        upsertEndpoint.run(
          webhookEndpointsTable.encode({
            endpointId: String(d.endpointId),
            institutionId: String(d.institutionId),
            url: String(d.url),
            kinds: JSON.stringify(kinds),
            secretVersion: Number(d.secretVersion),
            active: true,
            afterSequence: sequence,
          }),
        );
      } else if (current && event.type === 'WebhookSecretRotated') {
        upsertEndpoint.run(
          webhookEndpointsTable.encode({ ...current, secretVersion: Number(d.secretVersion) }),
        );
      } else if (current && event.type === 'WebhookEndpointRemoved') {
        upsertEndpoint.run(webhookEndpointsTable.encode({ ...current, active: false }));
      }
    };

    return {
      apply(events) {
        for (const event of events) {
          guard(event, () => {
            if (event.streamId.startsWith(INSTITUTION_PREFIX)) institution(event);
            else if (event.streamId.startsWith(WEBHOOK_ENDPOINTS_PREFIX)) endpoints(event);
            else notify(event);
          });
        }
      },
      rollback: reload,
    };
  },
};
