import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import { ALL_PROJECTIONS, dumpReadModel, ProjectionRunner, ReadModelFiles } from '@carepath/projections';
import { PgProjectionLeases } from '@carepath/runtime';
import { type AppProcess, startProjectorProcess, transpileApi } from '../support/api-process';
import { generateJourney, institutionStreams } from '../support/journey-generator';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';

const TTL_MS = 1500;
const JOURNEYS = 6000;

/**
 * Projectors sharing the projections through leases in PostgreSQL (docs/scaling.md, "Projectors that share work"):
 * projectors are killed while they catch up, the survivors take their projections over from the read models'
 * checkpoints, and every read model then equals one built from zero.
 */
describe('projectors sharing work through leases', () => {
  let folder: string;
  let build: string;
  let logFile: string;
  let readModels: string;
  let schema: string;
  let store: SqliteEventStore;
  let leases: PgProjectionLeases;
  const running: AppProcess[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'carepath-takeover-'));
    build = transpileApi(join(folder, 'build'));
    logFile = join(folder, 'carepath.db');
    readModels = join(folder, 'read-models');
    store = SqliteEventStore.open({ filename: logFile });
    for (const { streamId, events } of institutionStreams())
      await store.append(streamId, events, { expectedRevision: 'no-stream' });
    // Journeys interleaved, as in life: every journey's first events, then the rest of each.
    const journeys = Array.from({ length: JOURNEYS }, (_, i) => generateJourney(i));
    await Promise.all(
      journeys.map(({ streamId, events }) =>
        store.append(streamId, events.slice(0, 2), { expectedRevision: 'no-stream' }),
      ),
    );
    await Promise.all(
      journeys
        .filter(({ events }) => events.length > 2)
        .map(({ streamId, events }) => store.append(streamId, events.slice(2), { expectedRevision: 1n })),
    );
    schema = freshSchema('takeover');
    leases = new PgProjectionLeases({ connectionString: TEST_DATABASE_URL, schema, ttlMs: TTL_MS });
  }, 120_000);

  afterAll(async () => {
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    await leases.close();
    await dropSchema(schema);
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const start = async (id: string): Promise<AppProcess> => {
    const projector = await startProjectorProcess(build, {
      DATABASE_FILE: logFile,
      READ_MODEL_DIR: readModels,
      PROJECTOR_LEASES: 'postgres',
      DATABASE_URL: TEST_DATABASE_URL,
      PROJECTOR_LEASE_SCHEMA: schema,
      PROJECTOR_LEASE_TTL_MS: String(TTL_MS),
      PROJECTOR_ID: id,
    });
    running.push(projector);
    return projector;
  };

  const kill = async (projector: AppProcess): Promise<void> => {
    projector.child.kill('SIGKILL');
    await projector.exited;
  };

  /** Polls the lease rows (each poll is a query: no fixed sleep) until `done` holds for them. */
  const leasesUntil = async (done: (holders: Map<string, string | null>) => boolean): Promise<void> => {
    for (;;) {
      const holders = new Map(
        (await leases.list()).map((l) => [
          l.projection,
          l.expiresInMs !== null && l.expiresInMs > 0 ? l.holder : null,
        ]),
      );
      if (done(holders)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const held = (holders: Map<string, string | null>, id: string) =>
    [...holders.values()].filter((h) => h === id).length;

  /** The checkpoint of each projection's generation in service (0 before one is in service). */
  const checkpoints = (): Map<string, bigint> => {
    const files = new ReadModelFiles(readModels);
    try {
      return new Map(
        ALL_PROJECTIONS.map((p) => {
          const current = files.current(p.name);
          if (!current) return [p.name, 0n];
          const db = new Database(files.fileOf(p.name, current.generation), { readonly: true });
          try {
            const row = db.prepare('SELECT position FROM checkpoint').safeIntegers(true).get() as {
              position: bigint;
            };
            return [p.name, row.position];
          } finally {
            db.close();
          }
        }),
      );
    } finally {
      files.close();
    }
  };

  const heads = async (): Promise<Map<string, bigint>> =>
    new Map(
      await Promise.all(
        ALL_PROJECTIONS.map(
          async (p) => [p.name, await store.headPosition({ streamPrefixes: p.streamPrefixes })] as const,
        ),
      ),
    );

  it('given projectors killed during a catch-up, then the others take their projections over and every read model equals a rebuild', async () => {
    const head = await heads();
    const first = await start('projector-1');
    const second = await start('projector-2');
    await leasesUntil((h) => held(h, 'projector-1') > 0 && held(h, 'projector-2') > 0);
    await kill(first);
    // The kill came while it caught up: some projection it held stood below its head.
    const atKill = checkpoints();
    expect(ALL_PROJECTIONS.some((p) => atKill.get(p.name)! < head.get(p.name)!)).toBe(true);

    const third = await start('projector-3');
    await leasesUntil((h) => held(h, 'projector-3') > 0);
    await kill(second);
    await leasesUntil((h) => held(h, 'projector-3') === ALL_PROJECTIONS.length);
    for (;;) {
      const now = checkpoints();
      if (ALL_PROJECTIONS.every((p) => now.get(p.name)! >= head.get(p.name)!)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Stopped gently, the last projector gives its leases back.
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe('exit code 0');
    await leasesUntil((h) => [...h.values()].every((holder) => holder === null));

    const served = new ReadModelFiles(readModels);
    const scratch = new ReadModelFiles(join(folder, 'scratch'));
    try {
      for (const definition of ALL_PROJECTIONS) {
        const current = served.current(definition.name)!;
        const db = new Database(served.fileOf(definition.name, current.generation), { readonly: true });
        const live = dumpReadModel(db);
        db.close();
        const runner = new ProjectionRunner(store, definition, scratch, { rebuildInWorker: false });
        await runner.start();
        await runner.waitFor(head.get(definition.name)!);
        expect({ [definition.name]: live }).toEqual({ [definition.name]: dumpReadModel(runner.reader()) });
        await runner.stop();
      }
    } finally {
      served.close();
      scratch.close();
    }
  }, 180_000);
});
