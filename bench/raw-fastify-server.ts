/*
 * The baseline servers of bench/http.bench.ts, started by it in their own process: a bare Fastify 5 app whose write
 * routes do only what a durable command cannot avoid, into a better-sqlite3 file with WAL and synchronous=FULL:
 * - `POST /journeys`: one `BEGIN IMMEDIATE` transaction inserting two rows of CarePath's event shape in a new stream;
 * - `POST /journeys/:journeyId/visits`: read the stream's rows (`WHERE stream_id = ? ORDER BY revision`), JSON.parse
 *   their data and metadata, then one `BEGIN IMMEDIATE` transaction inserting one row at the next revision (the
 *   UNIQUE (stream_id, revision) key is the expected-revision check: a clash answers 409, an empty stream 404).
 * Ids are random UUIDs, as when issue 18 set its targets against this server; with `--ids time-ordered` they are
 * minted as CarePath now mints them (timeOrderedId), which the indexes take at their right-hand edge.
 * Then 201 with JSON. No validation, no decider, no hash chain, no projections, no request log: the floor the API
 * is compared to.
 * With `--commit request` (the default) each request commits on its own, so the disk's commit rate bounds the
 * server. With `--commit group` (the ceiling) the inserts of the requests that arrive together wait in a queue and are written by one
 * `BEGIN IMMEDIATE` ... `COMMIT` on the next turn of the event loop, one fsync for all of them, each request answered
 * only after that commit, as CarePath's store does. Each request's inserts run in their own SAVEPOINT, so a
 * visit's revision clash rolls back that visit alone and answers 409 to that request only.
 * Usage: node -r ts-node/register bench/raw-fastify-server.ts --port 4000 --host 127.0.0.1 --file /tmp/raw.db
 *          [--commit request|group] [--ids random|time-ordered]
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { timeOrderedId } from '@carepath/event-store';
import { randomUUID } from 'node:crypto';
import { benchArgs } from './bench-support';

const args = benchArgs();
const PORT = Number(args.get('port'));
const HOST = args.get('host') ?? '127.0.0.1';
const FILE = args.get('file');
const COMMIT = args.get('commit') ?? 'request';
const IDS = args.get('ids') ?? 'random';
const newId = IDS === 'time-ordered' ? () => timeOrderedId() : () => randomUUID();

interface OpenJourneyBody {
  readonly patientId: string;
  readonly residenceRegion: string;
  readonly institutionId: string;
  readonly visitType: string;
  readonly diagnosisCode: string;
  readonly occurredAt: string;
}

interface RecordVisitBody {
  readonly institutionId: string;
  readonly visitType: string;
  readonly diagnosisCode: string;
  readonly referralId?: string;
  readonly occurredAt: string;
}

/** position, stream_id, revision, event_id, type, schema_version, data, metadata: as `.raw(true)` returns them. */
type Row = [number, string, number, string, string, number, string, string];

/** A VisitRecorded payload as the API stores it (the institution snapshot a fixed bench one). */
function visitData(visitId: string, b: Omit<RecordVisitBody, 'occurredAt'>): string {
  return JSON.stringify({
    visitId,
    institution: {
      institutionId: b.institutionId,
      tier: 'community',
      allianceId: 'BENCH',
      regionCode: '110105',
    },
    visitType: b.visitType,
    diagnosisCode: b.diagnosisCode,
    referralId: b.referralId ?? null,
  });
}

function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision)) STRICT`);
  return db;
}

/** An event row to insert: revision, event id, type, data (the metadata is the request's, shared by its rows). */
type NewRow = readonly [number, string, string, string];

/** What a write came to: its rows are in, or its stream already had a row at one of their revisions. */
type Written = 'written' | 'conflict';

interface Pending {
  readonly streamId: string;
  readonly metadata: string;
  readonly rows: readonly NewRow[];
  readonly done: (outcome: Written) => void;
  readonly fail: (error: unknown) => void;
}

const isRevisionClash = (error: unknown): boolean =>
  (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/**
 * The durable write of either mode, resolved once the rows are committed: one `BEGIN IMMEDIATE` per request, or
 * (group) the writes queued while the event loop was busy, in one transaction on the next turn.
 */
function writer(db: Database.Database, group: boolean) {
  const insert = db.prepare('INSERT INTO events VALUES (NULL, ?, ?, ?, ?, 1, ?, ?)');
  const insertRows = (streamId: string, metadata: string, rows: readonly NewRow[]): void =>
    rows.forEach(([revision, id, type, data]) => insert.run(streamId, revision, id, type, data, metadata));
  const stats = { commits: 0, appends: 0 };
  if (!group) {
    const transaction = db.transaction(insertRows);
    // An error other than a clash, thrown in the executor, rejects: Fastify answers 500.
    const write = (streamId: string, metadata: string, rows: readonly NewRow[]): Promise<Written> =>
      new Promise((done) => {
        try {
          transaction.immediate(streamId, metadata, rows);
        } catch (error) {
          if (!isRevisionClash(error)) throw error;
          return done('conflict');
        }
        stats.commits++;
        stats.appends++;
        done('written');
      });
    return { write, drain: () => undefined, stats };
  }
  const statement = (sql: string): (() => void) => {
    const prepared = db.prepare(sql);
    return () => prepared.run();
  };
  const begin = statement('BEGIN IMMEDIATE');
  const commit = statement('COMMIT');
  const rollback = statement('ROLLBACK');
  const savepoint = statement('SAVEPOINT request');
  const release = statement('RELEASE request');
  const rollbackTo = statement('ROLLBACK TO request');
  let queue: Pending[] = [];
  const flush = (): void => {
    const batch = queue;
    if (batch.length === 0) return;
    queue = [];
    const outcomes: Written[] = [];
    try {
      begin();
      for (const { streamId, metadata, rows } of batch) {
        savepoint();
        try {
          insertRows(streamId, metadata, rows);
          release();
          outcomes.push('written');
        } catch (error) {
          // Only this request's rows go: the others in the transaction stay.
          rollbackTo();
          release();
          if (!isRevisionClash(error)) throw error;
          outcomes.push('conflict');
        }
      }
      commit();
    } catch (error) {
      if (db.inTransaction) rollback();
      batch.forEach((pending) => pending.fail(error));
      return;
    }
    stats.commits++;
    stats.appends += outcomes.filter((outcome) => outcome === 'written').length;
    batch.forEach((pending, i) => pending.done(outcomes[i]!));
  };
  const write = (streamId: string, metadata: string, rows: readonly NewRow[]): Promise<Written> =>
    new Promise((done, fail) => {
      // setImmediate runs after the pending I/O callbacks: the requests parsed meanwhile join this commit.
      if (queue.length === 0) setImmediate(flush);
      queue.push({ streamId, metadata, rows, done, fail });
    });
  const drain = (): void => {
    if (queue.length > 0) flush();
  };
  return { write, drain, stats };
}

async function main(): Promise<void> {
  if (
    !FILE ||
    !Number.isInteger(PORT) ||
    (COMMIT !== 'request' && COMMIT !== 'group') ||
    (IDS !== 'random' && IDS !== 'time-ordered')
  ) {
    throw new Error(
      'usage: --port <port> --file <sqlite file> [--commit request|group] [--ids random|time-ordered]',
    );
  }
  const db = openDatabase(FILE);
  const { write, drain, stats } = writer(db, COMMIT === 'group');
  // Rows as arrays, like the API's own stream read.
  const readStream = db
    .prepare(
      'SELECT position, stream_id, revision, event_id, type, schema_version, data, metadata FROM events WHERE stream_id = ? ORDER BY revision',
    )
    .raw(true);
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const metadataOf = (headers: Record<string, unknown>, occurredAt: string, requestId: string): string =>
    JSON.stringify({
      occurredAt,
      recordedAt: new Date().toISOString(),
      actorId: headers['x-actor-id'],
      actorRole: headers['x-actor-role'],
      institutionId: headers['x-institution-id'],
      correlationId: requestId,
      causationId: requestId,
    });

  // The commits and appends so far, read by the bench around each phase (appends per commit), as CarePath's is.
  app.get('/health', () => ({ status: 'up', store: { details: { ...stats } } }));

  app.post<{ Body: OpenJourneyBody }>('/journeys', async (request, reply) => {
    const b = request.body;
    const journeyId = newId();
    const requestId = randomUUID();
    const eventIds = [newId(), newId()] as const;
    const metadata = metadataOf(request.headers, b.occurredAt, requestId);
    const opened = JSON.stringify({ journeyId, patientId: b.patientId, residenceRegion: b.residenceRegion });
    const outcome = await write(`journey-${journeyId}`, metadata, [
      [0, eventIds[0], 'JourneyOpened', opened],
      [1, eventIds[1], 'VisitRecorded', visitData(newId(), b)],
    ]);
    if (outcome === 'conflict') throw new Error(`journey-${journeyId} already exists`);
    reply.code(201);
    return {
      journeyId,
      revision: 1,
      eventIds,
      events: [
        { id: eventIds[0], type: 'JourneyOpened', revision: 0 },
        { id: eventIds[1], type: 'VisitRecorded', revision: 1 },
      ],
    };
  });

  app.post<{ Params: { journeyId: string }; Body: RecordVisitBody }>(
    '/journeys/:journeyId/visits',
    async (request, reply) => {
      const b = request.body;
      const { journeyId } = request.params;
      const streamId = `journey-${journeyId}`;
      // The read and fold a command on an existing stream cannot avoid: every row, data and metadata parsed.
      const rows = readStream.all(streamId) as Row[];
      const events = rows.map((r) => ({
        revision: r[2],
        type: r[4],
        data: JSON.parse(r[6]) as unknown,
        metadata: JSON.parse(r[7]) as unknown,
      }));
      const last = events.at(-1);
      if (!last) {
        reply.code(404);
        return { statusCode: 404, error: 'Not Found', code: 'JOURNEY_NOT_FOUND' };
      }
      const requestId = randomUUID();
      const eventId = newId();
      const visitId = newId();
      const revision = last.revision + 1;
      const metadata = metadataOf(request.headers, b.occurredAt, requestId);
      const outcome = await write(streamId, metadata, [
        [revision, eventId, 'VisitRecorded', visitData(visitId, b)],
      ]);
      if (outcome === 'conflict') {
        // Another write took this revision between the read and the insert: the stream moved on.
        reply.code(409);
        return { statusCode: 409, error: 'Conflict', code: 'REVISION_CONFLICT' };
      }
      reply.code(201);
      return {
        journeyId,
        revision,
        eventIds: [eventId],
        events: [{ id: eventId, type: 'VisitRecorded', revision }],
        visitId,
      };
    },
  );

  const stop = (): void => {
    app
      .close()
      // Writes already queued are committed, not dropped, before the file closes.
      .then(() => drain())
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await app.listen({ port: PORT, host: HOST });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
