import Database from 'better-sqlite3';
import {
  type AppendResult,
  DuplicateEventIdError,
  type EventStore,
  type EventStoreHealth,
  EventStoreUnavailableError,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
  type StoredEvent,
  type StreamFilter,
  type StreamPartition,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandler,
  WrongExpectedRevisionError,
} from '../event-store.port';
import { chainHash, type ChainVerification, envelopeBytes, GENESIS_HASH } from '../audit/hash-chain';
import { EventStoreBusyError } from './sqlite-busy.error';
import { MIGRATIONS } from './sqlite-schema';

export interface SqliteEventStoreOptions {
  /** Database file; created with its folder's permissions when missing. */
  readonly filename: string;
  /** Most appends one durable commit may carry; the rest wait for the next one. */
  readonly maxGroupSize?: number;
  readonly logger?: { warn(message: object): void; error(message: object): void };
  /**
   * Set when another process appends to the same file (e.g. apps/projector beside the API): the head is re-read
   * before the first read of each turn of the event loop, and live subscriptions also look for new events every
   * `pollMs`, since the in-process commit signal cannot cross processes.
   */
  readonly externalWriters?: { readonly pollMs: number };
  /**
   * How long an append may wait for the write lock while another process holds it, in ms (default 5,000); past it
   * the append fails with EventStoreBusyError and writes nothing. The wait never blocks the event loop.
   */
  readonly busyBudgetMs?: number;
}

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expectedRevision: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
  /** When the append was queued (performance.now()): its busy budget runs from here. */
  readonly since: number;
}

interface EventRow {
  position: bigint;
  stream_id: string;
  revision: bigint;
  event_id: string;
  type: string;
  schema_version: bigint;
  data: string;
  metadata: string;
}

/**
 * The embedded event store: one SQLite file, one long-lived connection that does every write.
 *
 * Durability: WAL with synchronous=FULL, so a commit is on disk (WAL fsynced) before any caller hears "ok".
 * Throughput: appends that arrive while the event loop is busy are queued and written by one `BEGIN IMMEDIATE`
 * transaction (group commit), one fsync for all of them. Each append runs inside its own SAVEPOINT, so a
 * concurrency conflict rolls back only that append and its caller alone gets the error.
 * Order: the global position is assigned inside the transaction as head + 1, so the log has no gaps and
 * position order is commit order.
 */
export class SqliteEventStore implements EventStore {
  private readonly queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private head: bigint;
  /** Global hash of the last event: the next event's link (see audit/hash-chain.ts). */
  private headHash: string;
  private readonly liveWaiters = new Set<() => void>();
  private readonly commitListeners = new Set<(head: bigint) => void>();
  private readonly subscriptions = new Set<Promise<void>>();
  private commits = 0;
  private appends = 0;
  private readonly maxGroupSize: number;
  private readonly statements: ReturnType<typeof prepare>;
  private readonly filteredReadAll = new Map<string, Database.Statement>();
  private readonly recentPages = new Map<string, ReadAllPage>();
  /** Last pages of the log as read at a head (readAllNow). */
  private readonly endPages = new Map<string, ReadAllPage>();
  /**
   * For streams read to their end or appended to here: no event of the stream is past this revision. A read from past
   * it answers with nothing and no query. Not kept with `externalWriters`; otherwise dropped, with the head read
   * again, whenever another connection has committed to the file (`othersCommitted`). The write path reads each
   * institution a command names from past its last folded revision, and that query, empty nearly always, was among
   * the largest items of the request thread's profile under load (docs/benchmarks.md, "HTTP commands"). At most
   * STREAM_ENDS_KEPT streams, the least recently touched dropped first.
   */
  private readonly streamEnds = new Map<string, bigint>();
  /** PRAGMA data_version when last looked at: it moves only when another connection commits to the file. */
  private seenVersion: number;
  /** Whether this turn of the event loop has looked at data_version already (catchUpWithOthers). */
  private versionLookedAt = false;
  /** With `externalWriters`: the head was read from the file in this turn of the event loop. */
  private headLookedAt = false;
  private readonly busyBudgetMs: number;
  /** The next wait before trying the write lock again, while another process holds it; 0 when not waiting. */
  private busyDelayMs = 0;
  private busyRetry: NodeJS.Timeout | null = null;
  private closing = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly options: SqliteEventStoreOptions,
  ) {
    this.maxGroupSize = options.maxGroupSize ?? 1000;
    this.busyBudgetMs = options.busyBudgetMs ?? DEFAULT_BUSY_BUDGET_MS;
    this.statements = prepare(db);
    this.seenVersion = this.statements.dataVersion.get() as number;
    this.head = this.fileHead();
    this.headHash = this.lastGlobalHash();
  }

  /** The database file: another thread or process may open its own connection to it. */
  get filename(): string {
    return this.options.filename;
  }

  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    let db: Database.Database;
    try {
      db = new Database(options.filename);
    } catch (error) {
      throw new EventStoreUnavailableError(`Cannot open ${options.filename}: ${String(error)}`);
    }
    try {
      configure(db);
      migrate(db);
      // Opening may wait for another writer (above); from here on no statement waits inside SQLite. A busy wait
      // there spins in this thread, and another process holding the write lock for 10 s froze every request, reads
      // and /health included (issue 15). Appends wait for the lock between turns of the event loop instead (flush).
      db.pragma('busy_timeout = 0');
      return new SqliteEventStore(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: { readonly expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('The event store is closed'));
    if (events.length === 0) return Promise.reject(new Error('An append needs at least one event'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({
        streamId,
        events,
        expectedRevision: options.expectedRevision,
        resolve,
        reject,
        since: performance.now(),
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate runs after pending I/O callbacks: concurrent requests join the same commit.
        setImmediate(() => this.flush());
      }
    });
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return this.guard(() => {
      const from = options.fromRevision ?? 0n;
      this.catchUpWithOthers();
      const end = this.streamEnds.get(streamId);
      if (end !== undefined && from > end) return [];
      const rows = this.statements.readStream.all(streamId, from, BigInt(options.maxCount ?? -1)) as RawRow[];
      // A read that stopped short of its limit reached the stream's end: nothing past its last row (or before `from`).
      if (options.maxCount === undefined || rows.length < options.maxCount) {
        const last = rows[rows.length - 1];
        if (last || from > 0n) this.streamEndIs(streamId, last ? last[2] : from - 1n);
      }
      return rows.map(toStoredEvent);
    });
  }

  streamRevision(streamId: string): Promise<bigint | 'no-stream'> {
    return this.guard(() => this.currentRevision(streamId));
  }

  readAll({ after, maxCount, filter, partition }: ReadAllOptions): Promise<ReadAllPage> {
    // A one-off read keeps nothing (unlike subscribers reading in step, which share recent pages): a page held past
    // its use survives into the old generation of the heap, and the collector then traces every one of them. For a
    // reader of the whole log, such as the rebuild worker, that was most of its garbage collection
    // (docs/benchmarks.md, "Projections").
    return this.guard(() => {
      this.refreshHead();
      return this.readPage(after, maxCount, filter, partition);
    });
  }

  headPosition(filter?: StreamFilter): Promise<bigint> {
    return this.guard(() => {
      const head = this.refreshHead();
      if (!filter || filter.streamPrefixes.length === 0) return head;
      const clauses = filter.streamPrefixes.map(() => '(stream_id >= ? AND stream_id < ?)').join(' OR ');
      // The max over a stream-prefix range scans every event of those streams (the index is by stream, not
      // position), which made each admission's catch-up grow with the log. A category written often has an event
      // among the last few positions, found by walking back from the head; one that is not is rare, and its
      // range is small.
      // `+stream_id` keeps the planner on the position range here, whatever statistics it may gather.
      const recent = this.db
        .prepare(
          `SELECT max(position) AS head FROM events WHERE position > ? AND (${clauses.replaceAll('stream_id', '+stream_id')})`,
        )
        .safeIntegers(true)
        .get(head - RECENT_WINDOW, ...prefixArgs(filter.streamPrefixes)) as { head: bigint | null };
      if (recent.head !== null) return recent.head;
      const row = this.db
        .prepare(`SELECT max(position) AS head FROM events WHERE ${clauses}`)
        .safeIntegers(true)
        .get(...prefixArgs(filter.streamPrefixes)) as { head: bigint | null };
      return row.head ?? 0n;
    });
  }

  subscribeToAll(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    let stopped = false;
    let wake: (() => void) | null = null;
    const pageSize = options.pageSize ?? 500;
    const run = async (): Promise<void> => {
      let position = options.after;
      try {
        while (!stopped && !this.closed) {
          const page = this.readAllNow({ after: position, maxCount: pageSize, filter: options.filter });
          if (page.events.length > 0) await handler.onEvents(page.events, page.lastPosition);
          position = page.lastPosition;
          if (stopped) continue;
          if (!page.isEnd) {
            // Reads are synchronous and the handler's promises settle as microtasks: without a turn of the event
            // loop between pages, a catch-up or rebuild would hold back every request, timer and progress report
            // of the process until it reached the head.
            await new Promise<void>((resolve) => setImmediate(resolve));
            continue;
          }
          handler.onCaughtUp?.(position);
          // The handler may have stopped the subscription itself: waiting now would wait for a wake that never comes.
          if (stopped) continue;
          // Live: wait for the next commit (an in-process signal, no polling), unless one landed meanwhile.
          if (this.refreshHead() > position) continue;
          await new Promise<void>((resolve) => {
            wake = resolve;
            this.liveWaiters.add(resolve);
            const poll = this.options.externalWriters?.pollMs;
            if (poll !== undefined) setTimeout(resolve, poll);
          });
          if (wake) this.liveWaiters.delete(wake);
          wake = null;
        }
      } catch (error) {
        if (handler.onError) handler.onError(error);
        else this.options.logger?.error({ msg: 'subscription stopped', error: String(error) });
      }
    };
    const loop = run();
    this.subscriptions.add(loop);
    void loop.finally(() => this.subscriptions.delete(loop));
    return {
      stop: async () => {
        stopped = true;
        wake?.();
        await loop;
      },
    };
  }

  /**
   * Calls `listener` with the new head after each commit that appended: a thread following the log on a connection
   * of its own (the API's projection thread) hears of it at once, since this connection's signal stays in this
   * thread. Returns the unsubscribe.
   */
  onCommit(listener: (head: bigint) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /**
   * Another connection appended up to `head` (a message from the thread that wrote it): live subscriptions read on
   * now rather than at their next look. Meant for a store opened with `externalWriters`, which re-reads the head.
   */
  noticeAppended(head: bigint): void {
    if (this.closed) return;
    // The writer committed up to `head` before it told: no need to look.
    if (head > this.head && !this.db.inTransaction) this.head = head;
    const waiters = [...this.liveWaiters];
    this.liveWaiters.clear();
    for (const wake of waiters) wake();
  }

  health(): Promise<EventStoreHealth> {
    if (this.closed) {
      return Promise.resolve({
        status: 'down',
        kind: 'sqlite',
        details: { file: this.options.filename, closed: true },
      });
    }
    try {
      const journalMode = this.db.pragma('journal_mode', { simple: true }) as string;
      const synchronous = Number(this.db.pragma('synchronous', { simple: true }));
      return Promise.resolve({
        status: 'up',
        kind: 'sqlite',
        details: {
          file: this.options.filename,
          journalMode,
          synchronous: synchronous === 2 ? 'FULL' : String(synchronous),
          headPosition: this.head.toString(),
          commits: this.commits,
          appends: this.appends,
        },
      });
    } catch (error) {
      return Promise.resolve({
        status: 'down',
        kind: 'sqlite',
        details: { file: this.options.filename, error: String(error) },
      });
    }
  }

  /** Commits and appends since open: appends / commits is the group-commit factor. */
  stats(): { commits: number; appends: number } {
    return { commits: this.commits, appends: this.appends };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.busyRetry) clearTimeout(this.busyRetry);
    this.busyRetry = null;
    // Appends already accepted are written, not dropped (unless another process holds the lock: then refused).
    this.closing = true;
    while (this.queue.length > 0) this.flush();
    this.closed = true;
    for (const wake of this.liveWaiters) wake();
    this.liveWaiters.clear();
    await Promise.allSettled([...this.subscriptions]);
    this.db.close();
  }

  private flush(): void {
    this.flushScheduled = false;
    this.busyRetry = null;
    const group = this.queue.splice(0, this.maxGroupSize);
    if (group.length === 0) return;
    if (!this.lock(group)) return;
    if (this.queue.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    const outcomes: ({ ok: true; result: AppendResult } | { ok: false; error: unknown })[] = [];
    const headBefore = this.head;
    const headHashBefore = this.headHash;
    let next = this.head;
    let nextHash = this.headHash;
    try {
      // Another process may have appended since our last look; the write lock we now hold makes this exact.
      if (this.options.externalWriters || this.othersCommitted()) {
        next = this.fileHead();
        nextHash = this.lastGlobalHash();
        this.streamEnds.clear();
      }
      try {
        // Savepoints isolate appends sharing a commit; an append alone needs none (its refusal rolls back all).
        const isolate = group.length > 1;
        for (const request of group) {
          if (isolate) this.statements.savepoint.run();
          const positionBefore = next;
          const hashBefore = nextHash;
          try {
            const { result, headHash } = this.appendInTransaction(request, next, nextHash);
            next = result.position > next ? result.position : next;
            nextHash = headHash;
            if (isolate) this.statements.release.run();
            outcomes.push({ ok: true, result });
          } catch (error) {
            if (isolate) {
              this.statements.rollbackTo.run();
              this.statements.release.run();
            } else {
              this.statements.rollback.run();
            }
            next = positionBefore;
            nextHash = hashBefore;
            if (isUnavailable(error)) throw error;
            outcomes.push({ ok: false, error });
          }
        }
        if (this.db.inTransaction) this.statements.commit.run();
      } catch (error) {
        if (this.db.inTransaction) this.statements.rollback.run();
        throw error;
      }
    } catch (error) {
      this.head = headBefore;
      this.headHash = headHashBefore;
      const failure = toUnavailable(error);
      this.options.logger?.error({ msg: 'event store commit failed', error: String(error) });
      for (const request of group) request.reject(failure);
      return;
    }
    this.head = next;
    this.headHash = nextHash;
    this.commits++;
    group.forEach((request, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        this.appends++;
        // A retry answers with the revisions it wrote before, which need not be the stream's end now.
        if (!outcome.result.duplicate)
          this.streamEndIs(outcome.result.streamId, outcome.result.nextExpectedRevision);
        request.resolve(outcome.result);
      } else {
        request.reject(outcome.error);
      }
    });
    if (this.head > headBefore) {
      const waiters = [...this.liveWaiters];
      this.liveWaiters.clear();
      for (const wake of waiters) wake();
      for (const listener of this.commitListeners) listener(this.head);
    }
  }

  /**
   * Takes the write lock for `group` (BEGIN IMMEDIATE) without waiting inside SQLite. While another process holds
   * it, the group goes back to the head of the queue and is tried again after a growing pause (the event loop
   * serving reads, /health and timers meanwhile); an append that has waited its busy budget is refused, with nothing
   * written. Returns true when the lock is held.
   */
  private lock(group: PendingAppend[]): boolean {
    try {
      this.statements.begin.run();
      this.busyDelayMs = 0;
      return true;
    } catch (error) {
      if (!isBusy(error)) {
        const failure = toUnavailable(error);
        this.options.logger?.error({ msg: 'event store commit failed', error: String(error) });
        for (const request of group) request.reject(failure);
        return false;
      }
      const now = performance.now();
      const waiting: PendingAppend[] = [];
      for (const request of group) {
        const waited = now - request.since;
        if (this.closing || waited >= this.busyBudgetMs) {
          request.reject(new EventStoreBusyError(waited, Math.max(1, Math.ceil(this.busyBudgetMs / 1000))));
        } else waiting.push(request);
      }
      this.queue.unshift(...waiting);
      if (this.queue.length > 0 && !this.closing) {
        this.busyDelayMs = Math.min(BUSY_MAX_DELAY_MS, Math.max(1, this.busyDelayMs * 2));
        // No later than the moment the oldest append's budget runs out, so it is refused on time.
        const left = this.busyBudgetMs - (now - this.queue[0]!.since);
        this.flushScheduled = true;
        this.busyRetry = setTimeout(() => this.flush(), Math.max(0, Math.min(this.busyDelayMs, left)));
      }
      return false;
    }
  }

  /** Runs inside the group transaction and a savepoint; throws to roll back only this append. */
  private appendInTransaction(
    request: PendingAppend,
    head: bigint,
    headHash: string,
  ): { result: AppendResult; headHash: string } {
    const { streamId, events, expectedRevision } = request;
    const retry = this.findRetry(streamId, events);
    if (retry) return { result: retry, headHash };

    const last = this.statements.lastOfStream.get(streamId) as
      { revision: bigint; stream_hash: string } | undefined;
    const current = last ? last.revision : 'no-stream';
    if (!revisionMatches(expectedRevision, current)) {
      throw new WrongExpectedRevisionError(streamId, expectedRevision, current);
    }
    let revision = last ? last.revision : -1n;
    let streamHash = last?.stream_hash ?? GENESIS_HASH;
    let globalHash = headHash;
    let position = head;
    const revisions: bigint[] = [];
    for (const event of events) {
      revision++;
      position++;
      const data = JSON.stringify(event.data);
      const metadata = JSON.stringify(event.metadata);
      // Hashes what is stored, as a verifier reads it back: canonicalJson encodes as JSON stores, with no parse.
      const canonical = envelopeBytes({
        id: event.id,
        streamId,
        revision,
        position,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: event.metadata,
      });
      streamHash = chainHash(streamHash, canonical);
      globalHash = chainHash(globalHash, canonical);
      try {
        this.statements.insert.run(
          position,
          streamId,
          revision,
          event.id,
          event.type,
          event.schemaVersion,
          data,
          metadata,
          streamHash,
          globalHash,
        );
      } catch (error) {
        // Only the event_id index can clash here: the stream's revision was checked above under the write lock.
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw new DuplicateEventIdError(streamId, event.id);
        throw error;
      }
      revisions.push(revision);
    }
    return {
      result: { streamId, nextExpectedRevision: revision, position, revisions },
      headHash: globalHash,
    };
  }

  /**
   * Walks the whole log in position order and recomputes every link (issue 5): the first break is reported with
   * its position and stream, or the count checked and the head hash. Reads a consistent snapshot.
   */
  verifyChain(): Promise<ChainVerification> {
    return this.guard(() => verifyRows(this.db));
  }

  /** The global hash at a position, for checking a signed checkpoint against the log. */
  globalHashAt(position: bigint): string | null {
    const row = this.statements.hashAt.get(position) as { global_hash: string | null } | undefined;
    return row?.global_hash ?? null;
  }

  private lastGlobalHash(): string {
    const row = this.statements.lastHash.get() as { global_hash: string | null } | undefined;
    return row?.global_hash ?? GENESIS_HASH;
  }

  /**
   * An exact retry (every id already stored, contiguously, in this stream, in this order) returns the original
   * result; some ids stored but not as this batch is an error, never a silent half-write.
   */
  private findRetry(streamId: string, events: readonly EventToAppend[]): AppendResult | null {
    const ids = new Set(events.map((e) => e.id));
    const first = events[0]!;
    if (ids.size !== events.length) throw new DuplicateEventIdError(streamId, first.id);
    // A retry holds the same ids in the same order, so it is known by its first id: one lookup, not one per
    // event (a whole journey is a dozen events). A fresh batch that reuses a later stored id is refused by the
    // unique event_id index at insert (caught below, in the append).
    if (this.statements.findById.get(first.id) === undefined) return null;
    const found = events.map((e) => this.statements.findById.get(e.id) as EventRow | undefined);
    const rows = found.filter((row): row is EventRow => row !== undefined);
    const exact =
      rows.length === events.length &&
      rows.every((row, i) => row.stream_id === streamId && row.revision === rows[0]!.revision + BigInt(i));
    if (!exact) {
      const clash = events[found.findIndex((row) => row !== undefined)]!;
      throw new DuplicateEventIdError(streamId, clash.id);
    }
    const last = rows.at(-1)!;
    return {
      streamId,
      nextExpectedRevision: last.revision,
      position: last.position,
      revisions: rows.map((row) => row.revision),
      duplicate: true,
    };
  }

  private currentRevision(streamId: string): bigint | 'no-stream' {
    const row = this.statements.streamRevision.get(streamId) as { revision: bigint | null };
    return row.revision ?? 'no-stream';
  }

  /** Keeps a stream's end (never with `externalWriters`: others' appends would go unseen). */
  private streamEndIs(streamId: string, revision: bigint): void {
    if (this.options.externalWriters) return;
    this.streamEnds.delete(streamId);
    this.streamEnds.set(streamId, revision);
    if (this.streamEnds.size > STREAM_ENDS_KEPT) {
      const oldest = this.streamEnds.keys().next().value;
      if (oldest !== undefined) this.streamEnds.delete(oldest);
    }
  }

  /** The last position in the file, as this connection reads it now. */
  private fileHead(): bigint {
    return (this.statements.head.get() as { head: bigint | null }).head ?? 0n;
  }

  /**
   * The log head; re-read from the file only when other processes may append, and then once per turn of the event
   * loop: the subscribers one append wakes (the projection thread's eight) each read and look again in the same turn,
   * and each look was a read transaction of its own, with its locks (docs/benchmarks.md, "HTTP commands"). A read
   * never stops at the head (readPage): an append landing within the turn is read by whoever reads next, and a
   * subscriber that missed it is woken by the writer's notice or its own poll.
   */
  private refreshHead(): bigint {
    if (!this.options.externalWriters || this.db.inTransaction) this.catchUpWithOthers();
    else if (!this.headLookedAt) {
      this.headLookedAt = true;
      setImmediate(() => (this.headLookedAt = false));
      this.head = this.fileHead();
    }
    return this.head;
  }

  /**
   * True once after another connection committed to the file. A store opened without `externalWriters` keeps the
   * head and stream ends as its own appends leave them, but an operator's command may still append beside it (a CLI
   * loading a holiday year): its next append and reads must start from what is in the file, not from what it kept.
   */
  private othersCommitted(): boolean {
    const version = this.statements.dataVersion.get() as number;
    if (version === this.seenVersion) return false;
    this.seenVersion = version;
    return true;
  }

  /**
   * What another connection committed is taken in: the head read again, the stream ends known dropped. Looked at
   * once per turn of the event loop: the reads of one turn (a burst of requests, each reading two or three streams)
   * see the file as of its first, as if the other connection's commit had landed just after them; the pragma on
   * every read was 2-3% of the request thread's time under load. Appends look again under the write lock (flush).
   */
  private catchUpWithOthers(): void {
    if (this.options.externalWriters || this.db.inTransaction || this.versionLookedAt) return;
    this.versionLookedAt = true;
    setImmediate(() => (this.versionLookedAt = false));
    if (!this.othersCommitted()) return;
    this.streamEnds.clear();
    this.head = this.fileHead();
    this.headHash = this.lastGlobalHash();
  }

  private readAllNow({ after, maxCount, filter }: ReadAllOptions): ReadAllPage {
    this.refreshHead();
    // Subscribers in step (several projections rebuilding together) read the same full pages: read them once.
    // Only full pages are kept: below the head nothing can change, positions being assigned in commit order.
    // Live subscribers woken by the same commit read the same last page too (five journey projections share a
    // filter): it stays what it is while the head does, so it is kept under the head it was read at.
    const key = `${after}|${maxCount}|${filter?.streamPrefixes.join('\u0000') ?? ''}`;
    const endKey = `${key}|${this.head}`;
    const cached = this.recentPages.get(key) ?? this.endPages.get(endKey);
    if (cached) return cached;
    const page = this.readPage(after, maxCount, filter);
    const kept = page.isEnd ? this.endPages : this.recentPages;
    kept.set(page.isEnd ? endKey : key, page);
    if (kept.size > (page.isEnd ? END_PAGES : RECENT_PAGES)) kept.delete(kept.keys().next().value!);
    return page;
  }

  private readPage(
    after: bigint,
    maxCount: number,
    filter: StreamFilter | undefined,
    partition?: StreamPartition,
  ): ReadAllPage {
    const limit = BigInt(Math.max(1, maxCount));
    const prefixes = filter?.streamPrefixes ?? [];
    // One partition of one is the whole log: no clause to evaluate on every row.
    if (partition && partition.count <= 1) partition = undefined;
    const rows = (
      prefixes.length > 0 || partition
        ? this.filteredStatement(prefixes.length, partition !== undefined).all(
            after,
            ...prefixArgs(prefixes),
            ...(partition ? [partition.count, partition.index] : []),
            limit,
          )
        : this.statements.readAll.all(after, limit)
    ) as RawRow[];
    const events = rows.map(toStoredEvent);
    // Reads and commits both run synchronously on this connection, so `head` is the log this read saw, unless another
    // connection appended between the look at the head and the read (`externalWriters`, a thread beside the writer):
    // then the read saw further, and the page must end at its last event, or the next one would deliver it again.
    const last = events.at(-1)?.position ?? 0n;
    const seen = last > this.head ? last : this.head;
    const full = BigInt(rows.length) === limit;
    const lastPosition = full ? last : seen > after ? seen : after;
    return { events, lastPosition, isEnd: !full || lastPosition >= seen };
  }

  private filteredStatement(prefixes: number, partitioned: boolean): Database.Statement {
    const key = `${prefixes}|${partitioned}`;
    let statement = this.filteredReadAll.get(key);
    if (!statement) {
      const clauses = [
        'position > ?',
        ...(prefixes > 0
          ? [`(${Array.from({ length: prefixes }, () => '(stream_id >= ? AND stream_id < ?)').join(' OR ')})`]
          : []),
        // streamPartition (event-store.port.ts), in SQL.
        ...(partitioned ? ['unicode(substr(stream_id, -1)) % ? = ?'] : []),
      ];
      statement = this.db
        .prepare(`SELECT ${COLUMNS} FROM events WHERE ${clauses.join(' AND ')} ORDER BY position LIMIT ?`)
        .safeIntegers(true)
        .raw(true);
      this.filteredReadAll.set(key, statement);
    }
    return statement;
  }

  private guard<T>(read: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('The event store is closed'));
    try {
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(toUnavailable(error));
    }
  }
}

/** Streams whose end a store keeps (SqliteEventStore.streamEnds): a few hundred bytes each. */
const STREAM_ENDS_KEPT = 4096;

/** How long an append waits for a write lock held by another process, unless configured. */
const DEFAULT_BUSY_BUDGET_MS = 5000;

/** The longest pause between two tries of a held write lock: short, as the other writer may be done any moment. */
const BUSY_MAX_DELAY_MS = 25;

/** How far back from the head a filtered head position looks before it scans the filter's streams. */
const RECENT_WINDOW = 1024n;

/**
 * Full pages kept for subscribers reading in step. Two are enough: runners in one thread take each page in turn
 * before any reads the next. Each page kept is thousands of decoded events, and the collector lets the heap grow
 * in proportion to what stays live: four pages cost a rebuild about 20 MB of peak RSS for nothing.
 */
const RECENT_PAGES = 2;

/**
 * Last pages kept: one per filter in live use. The API's projection thread reads with four filters after each commit
 * (the five journey read models share one; notifications, family doctors and the slot pool have their own).
 */
const END_PAGES = 4;

/** Prefix `p` as the half-open range [p, p + U+FFFF), which the (stream_id, revision) index can serve. */
function prefixArgs(prefixes: readonly string[]): string[] {
  return prefixes.flatMap((prefix) => [prefix, `${prefix}\uffff`]);
}

function prepare(db: Database.Database) {
  const s = (sql: string) => db.prepare(sql).safeIntegers(true);
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT append_request'),
    release: db.prepare('RELEASE append_request'),
    rollbackTo: db.prepare('ROLLBACK TO append_request'),
    head: s('SELECT max(position) AS head FROM events'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    insert: s(
      'INSERT INTO events (position, stream_id, revision, event_id, type, schema_version, data, metadata, stream_hash, global_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    lastOfStream: s(
      'SELECT revision, stream_hash FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    lastHash: s('SELECT global_hash FROM events ORDER BY position DESC LIMIT 1'),
    hashAt: s('SELECT global_hash FROM events WHERE position = ?'),
    streamRevision: s('SELECT max(revision) AS revision FROM events WHERE stream_id = ?'),
    findById: s('SELECT * FROM events WHERE event_id = ?'),
    // Rows as arrays: about a third faster than objects when pages hold thousands of events.
    readStream: s(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    ).raw(true),
    readAll: s(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true),
  };
}

function configure(db: Database.Database): void {
  // WAL lets readers run beside the writer; FULL fsyncs the WAL at every commit, so an acknowledged append
  // survives power loss. Both are verified, not assumed: some file systems silently refuse WAL.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const journalMode = String(db.pragma('journal_mode', { simple: true }));
  const synchronous = Number(db.pragma('synchronous', { simple: true }));
  if (journalMode !== 'wal' || synchronous !== 2) {
    throw new EventStoreUnavailableError(
      `SQLite durability settings not in force (journal_mode=${journalMode}, synchronous=${synchronous}); refusing to run`,
    );
  }
}

function migrate(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > MIGRATIONS.length) {
    throw new EventStoreUnavailableError(
      `Database schema version ${version} is newer than this CarePath (${MIGRATIONS.length}); upgrade CarePath`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    const migration = MIGRATIONS[v]!;
    db.transaction(() => {
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

function revisionMatches(expected: ExpectedRevision, current: bigint | 'no-stream'): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no-stream':
      return current === 'no-stream';
    case 'stream-exists':
      return current !== 'no-stream';
    default:
      return current === expected;
  }
}

const COLUMNS = 'position, stream_id, revision, event_id, type, schema_version, data, metadata';
type RawRow = [bigint, string, bigint, string, string, bigint, string, string];

function toStoredEvent(row: RawRow): StoredEvent {
  return {
    id: row[3],
    type: row[4],
    schemaVersion: Number(row[5]),
    data: JSON.parse(row[6]) as Record<string, unknown>,
    metadata: JSON.parse(row[7]) as Record<string, unknown>,
    streamId: row[1],
    revision: row[2],
    position: row[0],
  };
}

const UNAVAILABLE_CODES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
];

/** The write lock is held by another connection (SQLITE_BUSY and its extended codes). */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix));
}

function toUnavailable(error: unknown): Error {
  if (error instanceof EventStoreUnavailableError) return error;
  if (isUnavailable(error)) {
    return new EventStoreUnavailableError(`SQLite: ${(error as Error).message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Recomputes every link of the log; also used by the CLI on a read-only connection. */
export function verifyRows(db: Database.Database, onProgress?: (checked: number) => void): ChainVerification {
  const streams = new Map<string, { revision: bigint; hash: string }>();
  let previous = GENESIS_HASH;
  let expected = 1n;
  let checked = 0;
  const rows = db
    .prepare(`SELECT ${COLUMNS}, stream_hash, global_hash FROM events ORDER BY position`)
    .safeIntegers(true)
    .raw(true)
    .iterate() as IterableIterator<[...RawRow, string | null, string | null]>;
  for (const row of rows) {
    const [position, streamId, revision] = row;
    const broken = (
      problem: Extract<ChainVerification, { ok: false }>['problem'],
      detail: string,
    ): ChainVerification => ({
      ok: false,
      checked,
      position: position.toString(),
      streamId,
      problem,
      detail,
    });
    if (position !== expected)
      return broken(
        'position-gap',
        `expected position ${expected}, found ${position}: an event was removed or moved`,
      );
    const stream = streams.get(streamId) ?? { revision: -1n, hash: GENESIS_HASH };
    if (revision !== stream.revision + 1n) {
      return broken(
        'revision-gap',
        `expected revision ${stream.revision + 1n} of ${streamId}, found ${revision}`,
      );
    }
    let canonical: string;
    try {
      const e = toStoredEvent(row.slice(0, 8) as RawRow);
      canonical = envelopeBytes(e);
    } catch (error) {
      return broken('unreadable', String(error));
    }
    const streamHash = chainHash(stream.hash, canonical);
    if (streamHash !== row[8])
      return broken(
        'stream-hash-mismatch',
        `the event at position ${position} differs from what was appended`,
      );
    const globalHash = chainHash(previous, canonical);
    if (globalHash !== row[9])
      return broken('global-hash-mismatch', `the log order or content changed at position ${position}`);
    streams.set(streamId, { revision, hash: streamHash });
    previous = globalHash;
    expected++;
    checked++;
    if (onProgress && checked % 10_000 === 0) onProgress(checked);
  }
  onProgress?.(checked);
  return { ok: true, checked, headPosition: (expected - 1n).toString(), headHash: previous };
}
