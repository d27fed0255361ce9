import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import {
  notificationsProjection,
  PgProjectionRunner,
  PgReadModels,
  ProjectionRunner,
  ReadModelFiles,
  sqliteReader,
} from '@carepath/projections';
import { appendNotificationLog } from '../support/notification-log';
import { liveOn, seedJourneys } from '../support/projection-harness';
import { dropSchemasOf, freshSchema, TEST_DATABASE_URL } from '../support/postgres';
import {
  dumpThrough,
  PORTABLE_PROJECTIONS,
  readModelStoreContract,
  type ReadModelStoreUnderTest,
  seededLog,
} from './read-model-store.contract';

/** PostgreSQL: each space a schema prefix of its own on the test database. */
function postgresReadModels(): ReadModelStoreUnderTest {
  const spaces: PgReadModels[] = [];
  return {
    space() {
      const models = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix: freshSchema('rm') });
      spaces.push(models);
      return {
        runner: (log, definition, options = {}) => new PgProjectionRunner(log, definition, models, options),
      };
    },
    async close() {
      for (const models of spaces.splice(0)) {
        await models.close();
        await dropSchemasOf(models.prefix);
      }
    },
  };
}

readModelStoreContract('PostgreSQL', postgresReadModels);

describe('PostgreSQL read models hold what the embedded ones hold', () => {
  it('every portable read model, built from the same log, has the same rows on both stores', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'read-models-both-'));
    const log = await seededLog(folder);
    const files = new ReadModelFiles(join(folder, 'read-models'));
    const models = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix: freshSchema('rm') });
    try {
      for (const definition of PORTABLE_PROJECTIONS) {
        const embedded = new ProjectionRunner(log, definition, files, { rebuildInWorker: false });
        const postgres = new PgProjectionRunner(log, definition, models, {
          pageSize: 100,
          commitEvery: 1_000,
        });
        await embedded.start();
        await postgres.start();
        const head = await log.headPosition();
        await embedded.waitFor(head);
        await postgres.waitFor(head);
        expect({ [definition.name]: await dumpThrough(postgres.reader(), definition) }).toEqual({
          [definition.name]: await dumpThrough(sqliteReader(embedded.reader()), definition),
        });
        await embedded.stop();
        await postgres.stop();
      }
    } finally {
      await models.close();
      await dropSchemasOf(models.prefix);
      files.close();
      await log.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('the notifications in PostgreSQL', () => {
  /*
   * Each notification is numbered from facts earlier events established, looked up before a page is written; on
   * PostgreSQL the writes of the pages before wait in a queue until their commit. Given a log touching every kind
   * (an alliance escalation, a slot block, a webhook endpoint), when it is projected page by page and in batches on
   * PostgreSQL, then the rows, numbers and endpoints are the embedded store's, and a rebuild numbers them the same.
   */
  it.each([
    ['a page of two events at a time, each committed', { pageSize: 2 }],
    ['pages of three staged in batches', { pageSize: 3, commitEvery: 1_000 }],
  ])('given %s, then every row is the embedded one', async (_, options) => {
    const folder = mkdtempSync(join(tmpdir(), 'notifications-pg-'));
    const log = SqliteEventStore.open({ filename: join(folder, 'events.db') });
    await appendNotificationLog(log);
    const files = new ReadModelFiles(join(folder, 'read-models'));
    const models = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix: freshSchema('rm') });
    const definition = notificationsProjection;
    const embedded = new ProjectionRunner(log, definition, files, { pageSize: 2, rebuildInWorker: false });
    const postgres = new PgProjectionRunner(log, definition, models, options);
    try {
      await embedded.start();
      await postgres.start();
      const head = await log.headPosition();
      await embedded.waitFor(head);
      await postgres.waitFor(head);
      const expected = await dumpThrough(sqliteReader(embedded.reader()), definition);
      expect(expected.notifications).toHaveLength(18);
      expect(await dumpThrough(postgres.reader(), definition)).toEqual(expected);
      await postgres.rebuild();
      expect(await dumpThrough(postgres.reader(), definition)).toEqual(expected);
    } finally {
      await embedded.stop();
      await postgres.stop();
      await models.close();
      await dropSchemasOf(models.prefix);
      files.close();
      await log.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('a rebuild beside a running projector', () => {
  /*
   * The operator's rebuild command builds a new generation and puts it in service while a projector follows the
   * old one, which the command then drops. Given that, when the log grows, then the projector's next commit finds
   * its generation gone, and it writes on in the one in service from its checkpoint: the rows equal a build from
   * zero, and the projector is live on the new generation rather than stopped.
   */
  it('the projector writes on in the rebuilt generation, and its rows equal a build from zero', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'read-models-beside-'));
    const log = await seededLog(folder);
    const prefix = freshSchema('rm');
    const projectorModels = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix });
    const operatorModels = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix });
    const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'worklist')!;
    const projector = new PgProjectionRunner(log, definition, projectorModels, { pageSize: 50 });
    const fresh = new ReadModelFiles(join(folder, 'fresh'));
    try {
      await projector.start();
      await projector.waitFor(await log.headPosition());
      expect(projector.status().generation).toBe(1);
      // The operator's command: a runner of its own, never started, rebuilding (apps/projector/src/cli.ts).
      await new PgProjectionRunner(log, definition, operatorModels, { pageSize: 50 }).rebuild();
      expect((await operatorModels.current(definition.name))?.generation).toBe(2);
      await seedJourneys(log, 70, 90, 3);
      await liveOn(projector, 2);
      const head = await log.headPosition();
      await projector.waitFor(head);
      const zero = new ProjectionRunner(log, definition, fresh, { rebuildInWorker: false });
      await zero.start();
      await zero.waitFor(head);
      expect(await dumpThrough(projector.reader(), definition)).toEqual(
        await dumpThrough(sqliteReader(zero.reader()), definition),
      );
      await zero.stop();
    } finally {
      await projector.stop();
      await projectorModels.close();
      await operatorModels.close();
      await dropSchemasOf(prefix);
      fresh.close();
      await log.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('a generation built from the log', () => {
  it('is vacuumed and analysed once caught up, so its dead replaced rows are not left for the readers', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'read-models-vacuum-'));
    const log = await seededLog(folder);
    const models = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix: freshSchema('rm') });
    const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'worklist')!;
    const runner = new PgProjectionRunner(log, definition, models, { pageSize: 100, commitEvery: 1_000 });
    try {
      await runner.start();
      await runner.waitFor(await log.headPosition());
      // The vacuum runs once the batches are committed, before the runner says it is live.
      for (let waited = 0; runner.status().state !== 'live'; waited++) {
        if (waited > 1_000) throw new Error(`still ${runner.status().state}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const schema = models.schemaOf(definition.name, runner.status().generation);
      const stats = await models.transaction(
        async (client) =>
          (
            await client.query<{ relname: string; vacuumed: boolean; analysed: boolean }>(
              `SELECT relname, vacuum_count > 0 AS vacuumed, analyze_count > 0 AS analysed
             FROM pg_stat_user_tables WHERE schemaname = $1 AND relname <> 'checkpoint' ORDER BY relname`,
              [schema],
            )
          ).rows,
      );
      expect(stats.map((s) => s.relname)).toEqual(definition.tables.map((t) => t.name).sort());
      expect(stats.filter((s) => !s.vacuumed || !s.analysed)).toEqual([]);
    } finally {
      await runner.stop();
      await models.close();
      await dropSchemasOf(models.prefix);
      await log.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is not vacuumed again by a restart a little behind; a vacuum that fails is logged, and the build goes on', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'read-models-vacuum-'));
    const log = await seededLog(folder);
    const models = new PgReadModels({ connectionString: TEST_DATABASE_URL, prefix: freshSchema('rm') });
    const definition = PORTABLE_PROJECTIONS.find((d) => d.name === 'worklist')!;
    const errors: Record<string, unknown>[] = [];
    const logger = { log: () => undefined, error: (m: object) => errors.push(m as Record<string, unknown>) };
    const vacuum = jest.spyOn(models, 'vacuum');
    /** A runner started on the log from the generation's checkpoint, until it is live, then stopped. */
    const runUntilLive = async () => {
      const runner = new PgProjectionRunner(log, definition, models, {
        pageSize: 100,
        commitEvery: 1_000,
        logger,
      });
      await runner.start();
      await runner.waitFor(await log.headPosition());
      for (let waited = 0; runner.status().state !== 'live'; waited++) {
        if (waited > 1_000) throw new Error(`still ${runner.status().state}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await runner.stop();
    };
    try {
      // Built from zero, with VACUUM refused: the build is live all the same, and each table's failure logged.
      const query = models.pool.query.bind(models.pool) as (
        text: string,
        values?: unknown[],
      ) => Promise<unknown>;
      // Typed as pg's overloads are not: the spy stands for all of them.
      const refusing = (text: string, values?: unknown[]): never =>
        (text.startsWith('VACUUM')
          ? Promise.reject(new Error('vacuum refused'))
          : query(text, values)) as never;
      const refuse = jest.spyOn(models.pool, 'query').mockImplementation(refusing);
      await runUntilLive();
      refuse.mockRestore();
      expect(vacuum).toHaveBeenCalledTimes(1);
      expect(errors.map((e) => e.table).sort()).toEqual(definition.tables.map((t) => t.name).sort());
      expect(errors[0]).toMatchObject({ projection: 'worklist', error: 'vacuum refused' });

      // A few journeys later, started again from its checkpoint: caught up in batches, but no vacuum.
      await seedJourneys(log, 100, 103);
      await runUntilLive();
      expect(vacuum).toHaveBeenCalledTimes(1);
    } finally {
      vacuum.mockRestore();
      await models.close();
      await dropSchemasOf(models.prefix);
      await log.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
