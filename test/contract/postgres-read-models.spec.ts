import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PgProjectionRunner,
  PgReadModels,
  ProjectionRunner,
  ReadModelFiles,
  sqliteReader,
} from '@carepath/projections';
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
