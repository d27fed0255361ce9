/*
 * The baseline server of bench/http.bench.ts, started by it in its own process: a bare Fastify 5 app whose one write
 * route does only what a durable command cannot avoid: one `BEGIN IMMEDIATE` transaction inserting two rows of
 * CarePath's event shape into a better-sqlite3 file with WAL and synchronous=FULL, then 201 with JSON. No
 * validation, no decider, no group commit, no hash chain, no projections, no request log: the floor the API is
 * compared to.
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
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

  app.get('/health', () => ({ status: 'up' }));

  app.post<{ Body: OpenJourneyBody }>('/journeys', (request, reply) => {
    const b = request.body;
    const journeyId = randomUUID();
    const requestId = randomUUID();
    const eventIds = [randomUUID(), randomUUID()] as const;
    const metadata = JSON.stringify({
      occurredAt: b.occurredAt,
      recordedAt: new Date().toISOString(),
      actorId: request.headers['x-actor-id'],
      actorRole: request.headers['x-actor-role'],
      institutionId: request.headers['x-institution-id'],
      correlationId: requestId,
      causationId: requestId,
    });
    append.immediate(`journey-${journeyId}`, metadata, [
      [
        eventIds[0],
        'JourneyOpened',
        JSON.stringify({ journeyId, patientId: b.patientId, residenceRegion: b.residenceRegion }),
      ],
      [
        eventIds[1],
        'VisitRecorded',
        JSON.stringify({
          visitId: randomUUID(),
          institution: {
            institutionId: b.institutionId,
            tier: 'community',
            allianceId: 'BENCH',
            regionCode: '110105',
          },
          visitType: b.visitType,
          diagnosisCode: b.diagnosisCode,
          referralId: null,
        }),
      ],
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
