import type Database from 'better-sqlite3';
import type { StoredEvent } from '@carepath/event-store';

/**
 * A read model: its tables, the streams it reads, and how a page of events changes it. The runner owns the
 * transaction: `apply` runs inside it together with the checkpoint update, so a page is applied entirely or
 * not at all.
 */
export interface ProjectionDefinition {
  readonly name: string;
  /** Bump when the schema or the meaning of a row changes: a generation built by another version is rebuilt. */
  readonly version: number;
  readonly streamPrefixes: readonly string[];
  /** DDL for the projection's own tables (checkpoint and error tables are the runner's). */
  readonly schema: string;
  open(db: Database.Database, context: ProjectionContext): ProjectionWriter;
}

/** What a writer may read besides its own database: the log itself (the source of truth). */
export interface ProjectionContext {
  readStream(streamId: string): Promise<readonly StoredEvent[]>;
  /** Identifies the log: in-memory results may be shared only between projections of the same store. */
  readonly store: object;
}

export interface ProjectionWriter {
  /** Before the page's transaction: load what `apply` needs (async I/O is allowed here, not in `apply`). */
  prepare?(events: readonly StoredEvent[]): Promise<void>;
  /** Applies a page of events in log order; throw ProjectionEventError to name the event that failed. */
  apply(events: readonly StoredEvent[]): void;
  /** The page's transaction rolled back: forget any in-memory change `apply` made. */
  rollback?(): void;
}

/** A failure tied to one event: the runner reports the event and stops only this projection. */
export class ProjectionEventError extends Error {
  constructor(
    readonly event: Pick<StoredEvent, 'id' | 'type' | 'streamId' | 'position'>,
    override readonly cause: unknown,
  ) {
    super(
      `${event.type} ${event.id} at position ${event.position}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'ProjectionEventError';
  }
}
