/*
 * npm run bench:compare -- <a> <b>: whether two sets of read models hold the same rows, table by table, each side
 * being a read-model folder (the embedded store's catalog names the generation in service) or a PostgreSQL URL
 * (`postgres://…`, the schemas of READ_MODEL_SCHEMA, default `carepath`). Each table's rows are read through its
 * declaration, so an integer or a flag reads the same from either store, and compared as a count and a SHA-256 of
 * the rows in a stable order. Used to check a rebuild from zero against the read models built live (rule 4 of the
 * brief, at a scale no spec runs: docs/benchmarks.md, "Rebuild memory"). Exits 1 when anything differs.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  ALL_PROJECTIONS,
  isPortableProjection,
  PgReadModels,
  ReadModelFiles,
  type SqlReader,
  sqliteReader,
} from '@carepath/projections';

interface Side {
  reader(name: string): SqlReader;
  close(): Promise<void>;
}

function sideOf(where: string): Side {
  if (/^postgres(ql)?:\/\//.test(where)) {
    const models = new PgReadModels({
      connectionString: where,
      prefix: process.env.READ_MODEL_SCHEMA || 'carepath',
    });
    return { reader: (name) => models.reader(name), close: () => models.close() };
  }
  const files = new ReadModelFiles(where);
  const opened: { close(): void }[] = [];
  return {
    reader(name) {
      const current = files.current(name);
      if (!current) throw new Error(`${where}: no generation of ${name} in service`);
      const db = new Database(files.fileOf(name, current.generation), {
        readonly: true,
        fileMustExist: true,
      });
      opened.push(db);
      return sqliteReader(db);
    },
    close: () => {
      for (const db of opened) db.close();
      files.close();
      return Promise.resolve();
    },
  };
}

/** A table's rows as its declaration reads them: their count and a digest of them in a stable order. */
async function digestOf(reader: SqlReader, table: { name: string; read(row: unknown): unknown }) {
  const rows = (await reader.all(`SELECT * FROM ${table.name}`)).map((row) =>
    JSON.stringify(table.read(row)),
  );
  rows.sort();
  const hash = createHash('sha256');
  for (const row of rows) hash.update(row).update('\n');
  return `${rows.length} rows, ${hash.digest('hex').slice(0, 16)}`;
}

async function main(): Promise<number> {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) {
    console.error('usage: npm run bench:compare -- <read-model folder | postgres URL> <the other>');
    return 2;
  }
  const sides = [sideOf(a), sideOf(b)];
  let differ = 0;
  try {
    for (const definition of ALL_PROJECTIONS.filter(isPortableProjection)) {
      const readers = sides.map((side) => side.reader(definition.name));
      for (const table of definition.tables) {
        const [left, right] = await Promise.all(readers.map((reader) => digestOf(reader, table)));
        if (left !== right) differ++;
        console.log(
          `${left === right ? 'same' : 'DIFFERENT'}  ${definition.name}.${table.name}: ${left}${left === right ? '' : ` against ${right}`}`,
        );
      }
    }
  } finally {
    await Promise.all(sides.map((side) => side.close()));
  }
  console.log(differ === 0 ? 'every table the same' : `${differ} tables differ`);
  return differ === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
