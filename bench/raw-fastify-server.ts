/*
 * The baseline server of bench/http.bench.ts, started by it in its own process: a bare Fastify 5 app whose write
 * routes do only what a durable command cannot avoid, into a better-sqlite3 file with WAL and synchronous=FULL:
 * - `POST /journeys`: one `BEGIN IMMEDIATE` transaction inserting two rows of CarePath's event shape in a new stream;
 * - `POST /journeys/:journeyId/visits`: read the stream's rows (`WHERE stream_id = ? ORDER BY revision`), JSON.parse
 *   their data and metadata, then one `BEGIN IMMEDIATE` transaction inserting one row at the next revision (the
 *   UNIQUE (stream_id, revision) key is the expected-revision check: a clash answers 409, an empty stream 404).
 * Then 201 with JSON. No validation, no decider, no group commit, no hash chain, no projections, no request log: the
 * floor the API is compared to.
 * Usage: node -r ts-node/register bench/raw-fastify-server.ts --port 4000 --host 127.0.0.1 --file /tmp/raw.db
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { benchArgs } from './bench-support';

const args = benchArgs();
const PORT = Number(args.get('port'));
const HOST = args.get('host') ?? '127.0.0.1';
const FILE = args.get('file');

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

async function main(): Promise<void> {
  if (!FILE || !Number.isInteger(PORT)) throw new Error('usage: --port <port> --file <sqlite file>');
  const db = openDatabase(FILE);
  const insert = db.prepare('INSERT INTO events VALUES (NULL, ?, ?, ?, ?, 1, ?, ?)');
  const append = db.transaction(
    (streamId: string, metadata: string, rows: readonly (readonly [string, string, string])[]) =>
      rows.forEach(([id, type, data], revision) => insert.run(streamId, revision, id, type, data, metadata)),
  );
  // Rows as arrays, like the API's own stream read.
  const readStream = db
    .prepare(
      'SELECT position, stream_id, revision, event_id, type, schema_version, data, metadata FROM events WHERE stream_id = ? ORDER BY revision',
    )
    .raw(true);
  const appendOne = db.transaction(
    (streamId: string, revision: number, id: string, type: string, data: string, metadata: string) =>
      insert.run(streamId, revision, id, type, data, metadata),
  );
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

  app.get('/health', () => ({ status: 'up' }));

  app.post<{ Body: OpenJourneyBody }>('/journeys', (request, reply) => {
    const b = request.body;
    const journeyId = randomUUID();
    const requestId = randomUUID();
    const eventIds = [randomUUID(), randomUUID()] as const;
    const metadata = metadataOf(request.headers, b.occurredAt, requestId);
    append.immediate(`journey-${journeyId}`, metadata, [
      [
        eventIds[0],
        'JourneyOpened',
        JSON.stringify({ journeyId, patientId: b.patientId, residenceRegion: b.residenceRegion }),
      ],
      [eventIds[1], 'VisitRecorded', visitData(randomUUID(), b)],
    ]);
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
    (request, reply) => {
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
      const eventId = randomUUID();
      const visitId = randomUUID();
      const revision = last.revision + 1;
      const data = visitData(visitId, b);
      try {
        appendOne.immediate(
          streamId,
          revision,
          eventId,
          'VisitRecorded',
          data,
          metadataOf(request.headers, b.occurredAt, requestId),
        );
      } catch (error) {
        // Another write took this revision between the read and the insert: the stream moved on.
        if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
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
