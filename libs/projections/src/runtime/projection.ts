import type Database from 'better-sqlite3';
import type { StoredEvent } from '@carepath/event-store';
import type { ReadModelTable } from './read-model-table';
import type { ReadModelWrites } from './read-model-writes';
import type { SqlReader } from './sql-reader';

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
  /**
   * A read model written only through ReadModelWrites declares its tables and opens on them: it runs on any SQL
   * store (PostgreSQL beyond one machine). One without stays on the embedded store.
   */
  readonly tables?: readonly ReadModelTable<unknown>[];
  openWrites?(writes: ReadModelWrites, context: ProjectionContext): ProjectionWriter;
}

/** A projection that can run on any SQL store. */
export type PortableProjectionDefinition = ProjectionDefinition &
  Required<Pick<ProjectionDefinition, 'tables' | 'openWrites'>>;

export const isPortableProjection = (
  definition: ProjectionDefinition,
): definition is PortableProjectionDefinition =>
  definition.tables !== undefined && definition.openWrites !== undefined;

/** What a writer may read besides its own database: the log itself (the source of truth). */
export interface ProjectionContext {
  readStream(streamId: string): Promise<readonly StoredEvent[]>;
  /** Identifies the log: in-memory results may be shared only between projections of the same store. */
  readonly store: object;
  /** Byte budget of folded states kept between pages, for projections that fold streams (default: their own). */
  readonly foldCacheBytes?: number;
  /**
   * The generation being written, as last committed, for a writer that looks up what earlier events established.
   * PostgreSQL's runner gives it; on the embedded store a writer reads its own connection.
   */
  readonly own?: SqlReader;
}

export interface ProjectionWriter {
  /** Before the page is staged or applied: load what they need (async I/O is allowed here, not in them). */
  prepare?(events: readonly StoredEvent[]): Promise<void>;
  /**
   * Optional: takes a page in, inside the batch transaction the runner holds open over several pages; the next
   * `apply` completes it with its own page, and the runner commits the batch with the checkpoint. A writer may write
   * rows here already or keep what it derived in memory until `apply`; never the page's events. Lets a catch-up
   * commit many pages at once.
   */
  stage?(events: readonly StoredEvent[]): void;
  /**
   * Applies a page of events in log order; throw ProjectionEventError to name the event that failed. The runner
   * hands over only events after the checkpoint committed with the rows, each once.
   */
  apply(events: readonly StoredEvent[]): void;
  /**
   * Optional: what the writer holds in memory for the batch staged so far, in bytes (an estimate that errs high). A
   * runner commits the batch once it passes the runner's budget, before `commitEvery` events if need be.
   */
  stagedBytes?(): number;
  /** The page's transaction rolled back, or a staged batch was dropped: forget any in-memory change since the last commit. */
  rollback?(): void;
  /** What was applied or staged is committed: what the writer kept of it in memory until the commit may go. */
  committed?(): void;
}

/**
 * Byte budget of the state a batch stages (a writer's `stagedBytes`): a batch commits at `commitEvery` events or at
 * this, whichever comes first. In recording order nearly every event of a batch belongs to a journey still open, and
 * 50,000 events' worth of open journeys weighed hundreds of megabytes (docs/benchmarks.md, "Projections"); with the
 * budget, a rebuild's memory no longer grows with how many journeys are open at once. A rebuild's worker commits at
 * half this (REBUILD_BATCH_STAGED_BYTES); the runners stay at 32 MB, as at 16 MB a projector taking over a catch-up
 * under leases stalled on a loaded machine (test/fault/projector-takeover.spec.ts), which later quiet runs did not
 * reproduce (docs/benchmarks.md, "Rebuild memory").
 */
export const BATCH_STAGED_BYTES = 32 * 1024 * 1024;

/** Whether a batch should commit now rather than stage another page. */
export const batchIsFull = (
  pending: number,
  commitEvery: number,
  writer: Pick<ProjectionWriter, 'stagedBytes'>,
): boolean => pending >= commitEvery || (writer.stagedBytes?.() ?? 0) >= BATCH_STAGED_BYTES;

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
