import type Database from 'better-sqlite3';
import {
  evolveJourney,
  initialJourneyState,
  JOURNEY_EVENT_TYPES,
  type JourneyEvent,
  type JourneyState,
  type OpenedJourneyState,
  type RecordedDomainEvent,
} from '@carepath/domain';
import type { StoredEvent } from '@carepath/event-store';
import { type ProjectionDefinition, ProjectionEventError, type ProjectionWriter } from './projection';

export const JOURNEY_PREFIX = 'journey-';
export const INSTITUTION_PREFIX = 'institution-';

/** What a journey-based read model does with a journey whose state changed, and with institution events. */
export interface JourneyRowsWriter {
  /** Replaces every row of this journey (rows of a journey are a pure function of its state). */
  replaceJourney(journeyId: string, state: OpenedJourneyState | null): void;
  institutionEvent?(event: StoredEvent): void;
}

export interface JourneyProjectionSpec {
  readonly name: string;
  readonly version: number;
  readonly schema: string;
  readonly withInstitutions: boolean;
  readonly rows: (db: Database.Database) => JourneyRowsWriter;
}

const KNOWN_TYPES = new Set<string>(JOURNEY_EVENT_TYPES);

/**
 * A read model fed by journey streams: it keeps each journey's folded state (the domain's own evolve, so
 * corrections and voids mean the same everywhere) and replaces the journey's rows once per page. The stored
 * revision makes a redelivered event a no-op.
 */
export function journeyProjection(spec: JourneyProjectionSpec): ProjectionDefinition {
  return {
    name: spec.name,
    version: spec.version,
    streamPrefixes: spec.withInstitutions ? [JOURNEY_PREFIX, INSTITUTION_PREFIX] : [JOURNEY_PREFIX],
    schema: `
      CREATE TABLE IF NOT EXISTS journey_states (journey_id TEXT PRIMARY KEY, revision INTEGER NOT NULL, state TEXT NOT NULL) STRICT;
      ${spec.schema}
    `,
    open(db: Database.Database): ProjectionWriter {
      const rows = spec.rows(db);
      const load = db.prepare('SELECT revision, state FROM journey_states WHERE journey_id = ?');
      const save = db.prepare(
        'INSERT INTO journey_states (journey_id, revision, state) VALUES (?, ?, ?) ON CONFLICT(journey_id) DO UPDATE SET revision = excluded.revision, state = excluded.state',
      );
      return {
        apply(events) {
          const touched = new Map<string, { state: JourneyState; revision: number; last: StoredEvent }>();
          for (const event of events) {
            if (event.streamId.startsWith(INSTITUTION_PREFIX)) {
              guard(event, () => rows.institutionEvent?.(event));
              continue;
            }
            const journeyId = event.streamId.slice(JOURNEY_PREFIX.length);
            let entry = touched.get(journeyId);
            if (!entry) {
              const row = load.get(journeyId) as { revision: number; state: string } | undefined;
              entry = row
                ? { state: JSON.parse(row.state) as JourneyState, revision: row.revision, last: event }
                : { state: initialJourneyState(), revision: -1, last: event };
              touched.set(journeyId, entry);
            }
            const revision = Number(event.revision);
            if (revision <= entry.revision) continue;
            if (!KNOWN_TYPES.has(event.type)) {
              throw new ProjectionEventError(event, new Error(`unknown journey event type ${event.type}`));
            }
            const current = entry;
            current.state = guard(event, () => evolveJourney(current.state, recorded(event)));
            current.revision = revision;
            current.last = event;
          }
          for (const [journeyId, entry] of touched) {
            save.run(journeyId, entry.revision, JSON.stringify(entry.state));
            const state = entry.state.status === 'not-opened' ? null : entry.state;
            guard(entry.last, () => rows.replaceJourney(journeyId, state));
          }
        },
      };
    },
  };
}

function recorded(event: StoredEvent): RecordedDomainEvent<JourneyEvent> {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  } as unknown as RecordedDomainEvent<JourneyEvent>;
}

function guard<T>(event: StoredEvent, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ProjectionEventError) throw error;
    throw new ProjectionEventError(event, error);
  }
}
