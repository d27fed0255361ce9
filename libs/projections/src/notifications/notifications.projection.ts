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
import type {
  PortableProjectionDefinition,
  ProjectionContext,
  ProjectionWriter,
} from '../runtime/projection';
import {
  flag,
  integer,
  nullable,
  type ReadModelTable,
  readModelTable,
  text,
  textOf,
} from '../runtime/read-model-table';
import { type ReadModelWrites, sqliteWrites } from '../runtime/read-model-writes';
import { type SqlReader, sqliteReader } from '../runtime/sql-reader';
import { institutionsTable } from '../ward-occupancy/ward-occupancy.projection';
import {
  type NotificationFacts,
  notificationsOf,
  type NotificationSubject,
  type Recipient,
  type ReferralParties,
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

/** The highest number given so far (0 before the first): where a new reader of the stream starts. */
export async function lastNotificationSequence(reader: SqlReader): Promise<number> {
  const [row] = (await reader.all(
    `SELECT COALESCE(MAX(${notificationsTable.column('sequence')}), 0) AS s FROM ${notificationsTable.name}`,
  )) as { s: number }[];
  return row?.s ?? 0;
}

/** What a page looks up, by id (two ids joined by `pair`): as committed, or as written since the last commit. */
interface Facts {
  readonly referrals: Map<string, ReferralParties>;
  readonly blocks: Map<string, string>;
  readonly bookings: Map<string, string>;
  readonly endpoints: Map<string, WebhookEndpointRow>;
  /** Institution id → alliance, for the alliances the page addresses. */
  readonly institutions: Map<string, string | null>;
}

const emptyFacts = (): Facts => ({
  referrals: new Map(),
  blocks: new Map(),
  bookings: new Map(),
  endpoints: new Map(),
  institutions: new Map(),
});

const pair = (a: string, b: string) => `${a}\u0000${b}`;

/** The keys a page will look up: each is in its event's own data, so they are known before any fact is. */
interface Wanted {
  readonly referrals: Set<string>;
  /** The journeys of `referrals`: the first column of their table's key, so the lookup is an index's. */
  readonly journeys: Set<string>;
  readonly blocks: Set<string>;
  readonly alliances: Set<string>;
  readonly endpoints: Set<string>;
}

/** Rows of `table` whose `column` is one of `values`, in chunks a statement's parameters can hold on either store. */
async function rowsWhereIn<R>(
  reader: SqlReader,
  table: ReadModelTable<R>,
  field: keyof R & string,
  values: Iterable<string>,
): Promise<unknown[]> {
  const all = [...values];
  const rows: unknown[] = [];
  for (let i = 0; i < all.length; i += 512) {
    const chunk = all.slice(i, i + 512);
    // Padded to a power of two with its last value: statements are prepared once per text and kept (preparedOn), so
    // a page's lookups take one of ten texts per table rather than one per count of keys.
    while (chunk.length & (chunk.length - 1)) chunk.push(chunk.at(-1)!);
    const params = Object.fromEntries(chunk.map((v, n) => [`v${n}`, v]));
    rows.push(
      ...(await reader.all(
        `SELECT * FROM ${table.name} WHERE ${table.column(field)} IN (${chunk.map((_, n) => `@v${n}`).join(', ')})`,
        params,
      )),
    );
  }
  return rows;
}

/**
 * The durable outbox (docs/notifications.md): one row per event and recipient institution, numbered in the order
 * the log gives them. Unlike the other read models, rows are never replaced: a notification that went out stays
 * what it was, even when the event behind it is later voided (the receiver was told; a correction is news of its
 * own). Each event is looked at once, in log order, with what earlier events established (who asked for a
 * referral, which hospital holds a block) kept in the projection's own tables, so a rebuild numbers every row as
 * the live run did, and an event applied again inserts nothing (the id is taken).
 *
 * Written only through ReadModelWrites, so it runs on PostgreSQL too, whose writes are queued until the commit: a
 * page's lookups are read in `prepare`, from the generation as committed and from what the writer wrote since the
 * last commit (kept in memory until `committed`), and `apply` then writes what `prepare` worked out.
 */
const NOTIFICATION_TABLES = [
  notificationsTable,
  webhookEndpointsTable,
  referralPartiesTable,
  blockHospitalsTable,
  bookingCentresTable,
  institutionsTable,
];

export const notificationsProjection: PortableProjectionDefinition = {
  name: 'notifications',
  version: 1,
  streamPrefixes: [JOURNEY_PREFIX, slotBlockStreamId(''), WEBHOOK_ENDPOINTS_PREFIX, INSTITUTION_PREFIX],
  tables: NOTIFICATION_TABLES,
  schema: NOTIFICATION_TABLES.map((t) => t.create).join('\n'),
  open(db: Database.Database, context: ProjectionContext): ProjectionWriter {
    // The embedded store's writes land at once on this connection, which its reads then see.
    return openNotificationWrites(sqliteWrites(db), { ...context, own: sqliteReader(db) });
  },
  openWrites: (writes, context) => openNotificationWrites(writes, context),
};

function openNotificationWrites(writes: ReadModelWrites, context: ProjectionContext): ProjectionWriter {
  const own = context.own;
  if (!own) throw new Error('the notifications projection reads its own generation: give it context.own');
  /** Written since the last commit: reads of the generation may not see it yet (PostgreSQL queues the writes). */
  let since = emptyFacts();
  /** The generation's highest number, as written so far; null: read it again (first page, or after a rollback). */
  let sequence: number | null = null;
  /** The writes `prepare` worked out for the page `apply` or `stage` takes next, in the order they were made. */
  let planned: ((w: ReadModelWrites) => void)[] = [];
  /** Writes held in `planned` until `apply` or `stage` hands them to the store's. */
  const later: ReadModelWrites = {
    replace: (...args) => planned.push((w) => w.replace(...args)),
    upsert: (table, row) => planned.push((w) => w.upsert(table, row)),
    insertIgnore: (table, row) => planned.push((w) => w.insertIgnore(table, row)),
    delete: (...args) => planned.push((w) => w.delete(...args)),
  };
  const institution = registeredInstitutions({
    ...later,
    upsert: (table, row) => {
      const r = row as { institutionId: string; allianceId: string | null };
      since.institutions.set(r.institutionId, r.allianceId);
      later.upsert(table, row);
    },
  });

  /** The keys the page's events look up: a dry run of the pure model, answering every fact with "unknown". */
  const wantedBy = (events: readonly StoredEvent[]): Wanted => {
    const wanted: Wanted = {
      referrals: new Set(),
      journeys: new Set(),
      blocks: new Set(),
      alliances: new Set(),
      endpoints: new Set(),
    };
    const asking: NotificationFacts = {
      referral: (journeyId, referralId) => {
        wanted.referrals.add(pair(journeyId, referralId));
        wanted.journeys.add(journeyId);
        return null;
      },
      blockHospital: (blockId) => {
        wanted.blocks.add(blockId);
        return null;
      },
      bookingCentre: (blockId) => {
        wanted.blocks.add(blockId);
        return null;
      },
    };
    for (const event of events) {
      if (event.streamId.startsWith(INSTITUTION_PREFIX)) continue;
      if (event.streamId.startsWith(WEBHOOK_ENDPOINTS_PREFIX)) {
        wanted.endpoints.add(String(event.data.endpointId));
        continue;
      }
      try {
        for (const { recipients } of notificationsOf(event, asking).drafts)
          for (const r of recipients) if ('allianceId' in r) wanted.alliances.add(r.allianceId);
      } catch {
        // A malformed event: the pass that writes reports it, naming the event.
      }
    }
    return wanted;
  };

  /** The committed rows behind the wanted keys (what was written since the last commit is in `since`). */
  const readCommitted = async (wanted: Wanted): Promise<Facts> => {
    const found = emptyFacts();
    for (const raw of await rowsWhereIn(own, referralPartiesTable, 'journeyId', wanted.journeys)) {
      const row = referralPartiesTable.read(raw);
      if (wanted.referrals.has(pair(row.journeyId, row.referralId)))
        found.referrals.set(pair(row.journeyId, row.referralId), row);
    }
    for (const raw of await rowsWhereIn(own, blockHospitalsTable, 'blockId', wanted.blocks)) {
      const row = blockHospitalsTable.read(raw);
      found.blocks.set(row.blockId, row.hospitalId);
    }
    for (const raw of await rowsWhereIn(own, bookingCentresTable, 'blockId', wanted.blocks)) {
      const row = bookingCentresTable.read(raw);
      found.bookings.set(pair(row.blockId, row.bookingId), row.centreId);
    }
    for (const raw of await rowsWhereIn(own, webhookEndpointsTable, 'endpointId', wanted.endpoints)) {
      const row = webhookEndpointsTable.read(raw);
      found.endpoints.set(row.endpointId, row);
    }
    for (const raw of await rowsWhereIn(own, institutionsTable, 'allianceId', wanted.alliances)) {
      const row = institutionsTable.read(raw);
      found.institutions.set(row.institutionId, row.allianceId);
    }
    return found;
  };

  /** The notification ids among `ids` the generation holds already (a page applied again). */
  const taken = async (ids: readonly string[]): Promise<Set<string>> =>
    new Set(
      (await rowsWhereIn(own, notificationsTable, 'notificationId', ids)).map(
        (raw) => notificationsTable.read(raw).notificationId,
      ),
    );

  const emit = () => {
    for (const write of planned) write(writes);
    planned = [];
  };

  return {
    async prepare(events) {
      let numbered = (sequence ??= await lastNotificationSequence(own));
      const wanted = wantedBy(events);
      const known = await readCommitted(wanted);
      /**
       * A key the dry run did not ask for was never read from the generation: answering from memory alone could
       * address a notification wrongly without a word, so the page fails instead (notificationsOf then takes a key
       * from somewhere other than its event's data, and wantedBy must learn it).
       */
      const loaded = (asked: Set<string>, key: string): void => {
        if (!asked.has(key)) throw new Error(`notifications looked up ${key} unasked: wantedBy misses a key`);
      };
      const facts: NotificationFacts = {
        referral: (journeyId, referralId) => {
          const key = pair(journeyId, referralId);
          loaded(wanted.referrals, key);
          return since.referrals.get(key) ?? known.referrals.get(key) ?? null;
        },
        blockHospital: (blockId) => {
          loaded(wanted.blocks, blockId);
          return since.blocks.get(blockId) ?? known.blocks.get(blockId) ?? null;
        },
        bookingCentre: (blockId, bookingId) => {
          loaded(wanted.blocks, blockId);
          const key = pair(blockId, bookingId);
          return since.bookings.get(key) ?? known.bookings.get(key) ?? null;
        },
      };
      const endpointOf = (id: string) => {
        loaded(wanted.endpoints, id);
        return since.endpoints.get(id) ?? known.endpoints.get(id) ?? null;
      };
      const membersOf = (allianceId: string): string[] => {
        loaded(wanted.alliances, allianceId);
        const members = new Set<string>();
        for (const [id, alliance] of known.institutions)
          if (alliance === allianceId && !since.institutions.has(id)) members.add(id);
        for (const [id, alliance] of since.institutions) if (alliance === allianceId) members.add(id);
        return [...members].sort();
      };
      const institutionsOf = (recipient: Recipient): string[] =>
        'institutionId' in recipient ? [recipient.institutionId] : membersOf(recipient.allianceId);
      const upsertEndpoint = (row: WebhookEndpointRow) => {
        since.endpoints.set(row.endpointId, row);
        later.upsert(webhookEndpointsTable, row);
      };
      /** An endpoint's change, made once the page's notifications before it are numbered. */
      const endpoint = (event: StoredEvent) => (numbered: number) =>
        guard(event, () => {
          const d = event.data;
          const current = endpointOf(String(d.endpointId));
          if (event.type === 'WebhookEndpointRegistered') {
            if (current) return; // applied before: the registration keeps the sequence it was first given
            const kinds = Array.isArray(d.kinds) ? d.kinds.filter(isKind) : [];
            upsertEndpoint({
              endpointId: String(d.endpointId),
              institutionId: String(d.institutionId),
              url: String(d.url),
              kinds: JSON.stringify(kinds),
              secretVersion: Number(d.secretVersion),
              active: true,
              // It receives what is numbered after it was registered.
              afterSequence: numbered,
            });
          } else if (current && event.type === 'WebhookSecretRotated') {
            upsertEndpoint({ ...current, secretVersion: Number(d.secretVersion) });
          } else if (current && event.type === 'WebhookEndpointRemoved') {
            upsertEndpoint({ ...current, active: false });
          }
        });
      /** In log order: a notification to number, or an endpoint's change between them. */
      const steps: ({ row: Omit<NotificationRow, 'sequence'> } | { endpoint: (numbered: number) => void })[] =
        [];
      for (const event of events) {
        guard(event, () => {
          if (event.streamId.startsWith(INSTITUTION_PREFIX)) return institution(event);
          if (event.streamId.startsWith(WEBHOOK_ENDPOINTS_PREFIX))
            return void steps.push({ endpoint: endpoint(event) });
          const { drafts, learnt } = notificationsOf(event, facts);
          for (const fact of learnt) {
            if (fact.fact === 'referral') {
              const row = {
                journeyId: fact.journeyId,
                referralId: fact.referralId,
                fromInstitutionId: fact.fromInstitutionId,
                toInstitutionId: fact.toInstitutionId,
              };
              since.referrals.set(pair(row.journeyId, row.referralId), row);
              later.upsert(referralPartiesTable, row);
            } else if (fact.fact === 'block') {
              const row = { blockId: fact.blockId, hospitalId: fact.hospitalId };
              since.blocks.set(row.blockId, row.hospitalId);
              later.upsert(blockHospitalsTable, row);
            } else {
              const row = { blockId: fact.blockId, bookingId: fact.bookingId, centreId: fact.centreId };
              since.bookings.set(pair(row.blockId, row.bookingId), row.centreId);
              later.upsert(bookingCentresTable, row);
            }
          }
          for (const { recipients, ...draft } of drafts) {
            for (const institutionId of new Set(recipients.flatMap(institutionsOf))) {
              steps.push({
                row: {
                  ...draft,
                  notificationId: notificationIdOf(event.id, institutionId),
                  institutionId,
                  eventId: event.id,
                  eventType: event.type,
                  occurredAt: String(event.metadata.occurredAt),
                  recordedAt: String(event.metadata.recordedAt),
                },
              });
            }
          }
        });
      }
      // A notification the generation holds already keeps its number; the others are numbered on from the last.
      const held = await taken(steps.flatMap((s) => ('row' in s ? [s.row.notificationId] : [])));
      for (const step of steps) {
        if ('endpoint' in step) step.endpoint(numbered);
        else if (!held.has(step.row.notificationId)) {
          const row: NotificationRow = { ...step.row, sequence: ++numbered };
          later.insertIgnore(notificationsTable, row);
        }
      }
      sequence = numbered;
    },
    stage: emit,
    apply: emit,
    committed() {
      since = emptyFacts();
    },
    rollback() {
      since = emptyFacts();
      sequence = null;
      planned = [];
    },
  };
}
