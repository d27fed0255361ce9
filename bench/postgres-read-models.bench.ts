/*
 * Read models in PostgreSQL (issue 22), as ratios to baselines measured in the same run (brief, rule 6):
 *  (a) each read model that lives in PostgreSQL, built from zero by a PgProjectionRunner with the projector's batch
 *      options until caught up, vs a raw COPY FROM STDIN (pg-copy-streams) per table of exactly the rows it built,
 *      into empty tables of the same DDL and indexes, in one transaction; the peak RSS of the process through the
 *      rebuilds;
 *  (b) the analytics and worklist queries through PgReadModels.reader vs the same functions on SQLite read models
 *      built from the same log (sqliteReader), alternating, each answer compared.
 * A tenth of the journeys stop part-way (still in care), so worklists have open referrals and inpatients.
 * Usage: npm run bench:postgres -- [--journeys 20000] [--runs 20] [--out bench/results]
 *        npm run bench:postgres -- --log <events.db> --year 2023   (an existing embedded log, the simulator's say,
 *        copied first so it is only read; the queries ask for that year and its March)
 * The database: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local carepath_test. Every schema the bench
 * makes carries a random prefix and is dropped at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SqliteEventStore } from '@carepath/event-store';
import {
  ALL_PROJECTIONS,
  BATCH_RUNNER_OPTIONS,
  openPgReadModels,
  parsePeriod,
  PgProjectionRunner,
  type PortableProjectionDefinition,
  postgresTableDdl,
  ProjectionRunner,
  queryLocalTreatmentByRegion,
  queryReferralVolume,
  queryWardOccupancy,
  queryWorklist,
  ReadModelFiles,
  servedFromPostgres,
  type SqlReader,
  sqliteReader,
} from '@carepath/projections';
import { parseCommandLine, runCommandLine } from '@carepath/runtime';
import { generateJourney, institutionStreams } from '../test/support/journey-generator';
import { dropSchemasOf, TEST_DATABASE_URL } from '../test/support/postgres';
import { fmt, log, now, quantile, ratio, saveResult } from './bench-support';
import { appendJourneys, type Journey, markdownTable } from './journey-bench-support';

const USAGE =
  'npm run bench:postgres -- [--journeys <n>, default 20000 | --log <events.db> of the embedded store] [--year <yyyy> the queries ask for, default 2026] [--runs <n> per query and store, default 20] [--out <folder>, default bench/results]';
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? TEST_DATABASE_URL;
// As the projector runs its census and the analysts' views by default.
const TIME_ZONE = 'Asia/Shanghai';
const SEED = 7;
const MODELS = ALL_PROJECTIONS.filter(servedFromPostgres);

interface Options {
  readonly journeys: number;
  /** An embedded log to use instead of generating `journeys` (the simulator's, say). */
  readonly log?: string;
  readonly year: number;
  readonly runs: number;
  readonly out: string;
  readonly phase?: string;
  readonly file?: string;
}

function options(): Options {
  const { values } = parseCommandLine(
    process.argv.slice(2),
    {
      options: {
        journeys: { type: 'string', default: '20000' },
        log: { type: 'string' },
        year: { type: 'string', default: '2026' },
        runs: { type: 'string', default: '20' },
        out: { type: 'string', default: 'bench/results' },
        // The fill runs in a child process of its own (below); these name its phase and file.
        phase: { type: 'string' },
        file: { type: 'string' },
      },
    },
    USAGE,
  );
  const positive = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer`);
    return n;
  };
  if (values.log !== undefined && !existsSync(values.log))
    throw new RangeError(`--log ${values.log}: no such file`);
  return {
    journeys: positive('journeys', values.journeys),
    log: values.log,
    year: positive('year', values.year),
    runs: positive('runs', values.runs),
    out: values.out,
    phase: values.phase,
    file: values.file,
  };
}

/** Journey `i`, cut short for every tenth one: a patient still waiting for a decision, in a bed or on leave. */
function journey(i: number): Journey {
  const j = generateJourney(i, SEED);
  if (i % 10 !== 3) return j;
  return { streamId: j.streamId, events: j.events.slice(0, 1 + ((i * 7) % (j.events.length - 1))) };
}

async function fill(file: string, journeys: number): Promise<{ events: number }> {
  const store = SqliteEventStore.open({ filename: file });
  let events = 0;
  for (const { streamId, events: list } of institutionStreams()) {
    await store.append(streamId, list, { expectedRevision: 'any' });
    events += list.length;
  }
  for (let from = 0; from < journeys; from += 1000) {
    // Batches keep only a thousand journeys' events in memory at a time.
    const batch = Array.from({ length: Math.min(1000, journeys - from) }, (_, k) => journey(from + k));
    await appendJourneys(store, batch, 64);
    events += batch.reduce((n, j) => n + j.events.length, 0);
  }
  await store.close();
  return { events };
}

/**
 * The log is written by a process of its own, so the peak RSS this process reports is that of opening the log and
 * rebuilding, not of generating journeys.
 */
function fillInChild(file: string, journeys: number): { events: number } {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, __filename, '--journeys', String(journeys), '--phase', 'fill', '--file', file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as { events: number };
}

/** A table's rows as columns of values in declaration order (pg's text for BIGINT, the arrays' casts take it). */
type ColumnValues = unknown[][];

interface TableRows {
  readonly table: PortableProjectionDefinition['tables'][number];
  readonly columns: ColumnValues;
  readonly rows: number;
}

async function readBack(
  client: Client,
  schema: string,
  definition: PortableProjectionDefinition,
): Promise<TableRows[]> {
  const tables: TableRows[] = [];
  for (const table of definition.tables) {
    const result = await client.query<unknown[]>({
      text: `SELECT ${table.columns.join(', ')} FROM ${schema}.${table.name}`,
      rowMode: 'array',
    });
    const columns: ColumnValues = table.columns.map(() => []);
    for (const row of result.rows) row.forEach((value, i) => columns[i]!.push(value));
    tables.push({ table, columns, rows: result.rows.length });
  }
  return tables;
}

/** A value in COPY's text format: \N for null, and backslash, tab and line ends escaped. pg reads back text, BIGINT
 * as text, and booleans. */
const copyField = (value: unknown): string => {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value !== 'string' && typeof value !== 'number')
    throw new TypeError(`cannot COPY ${typeof value}`);
  return String(value).replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
};

/** A table's rows as COPY text, a thousand lines per chunk. */
function* copyText({ columns, rows }: TableRows): Generator<string> {
  for (let from = 0; from < rows; from += 1000) {
    let chunk = '';
    for (let row = from; row < Math.min(rows, from + 1000); row++)
      chunk += columns.map((values) => copyField(values[row])).join('\t') + '\n';
    yield chunk;
  }
}

/**
 * The raw baseline: the same tables and indexes (postgresTableDdl) in an empty schema, then in one transaction one
 * COPY FROM STDIN per table holding every row, encoded as it streams. Milliseconds from BEGIN to COMMIT.
 */
async function rawCopy(client: Client, schema: string, tables: readonly TableRows[]): Promise<number> {
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path TO ${schema}`);
  for (const { table } of tables) await client.query(postgresTableDdl(table));
  const started = now();
  await client.query('BEGIN');
  for (const rows of tables) {
    if (rows.rows === 0) continue;
    const { table } = rows;
    await pipeline(
      Readable.from(copyText(rows)),
      client.query(copyFrom(`COPY ${table.name} (${table.columns.join(', ')}) FROM STDIN`)),
    );
  }
  await client.query('COMMIT');
  const ms = now() - started;
  await client.query('RESET search_path');
  return ms;
}

async function countRows(client: Client, schema: string, tables: readonly TableRows[]): Promise<number> {
  let rows = 0;
  for (const { table } of tables) {
    const { rows: counted } = await client.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${schema}.${table.name}`,
    );
    rows += Number(counted[0]!.n);
  }
  return rows;
}

interface QueryTiming {
  readonly median: number;
  readonly p95: number;
}

const timing = (samples: readonly number[]): QueryTiming => {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (ms: number) => Math.round(ms * 1000) / 1000;
  return { median: r(quantile(sorted, 0.5)), p95: r(quantile(sorted, 0.95)) };
};

/**
 * Both stores over `runs` runs, alternating which goes first so neither gets a warmer cache or a quieter machine;
 * three runs each first, untimed. The answers must be the same on both.
 */
async function compareQuery(
  runs: number,
  query: (reader: SqlReader) => Promise<unknown>,
  postgres: SqlReader,
  sqlite: SqlReader,
): Promise<{ postgres: QueryTiming; sqlite: QueryTiming; sameAnswer: boolean }> {
  const first = { postgres: await query(postgres), sqlite: await query(sqlite) };
  for (let i = 0; i < 2; i++) {
    await query(postgres);
    await query(sqlite);
  }
  const samples = { postgres: [] as number[], sqlite: [] as number[] };
  for (let i = 0; i < runs; i++) {
    for (const side of i % 2 === 0 ? (['postgres', 'sqlite'] as const) : (['sqlite', 'postgres'] as const)) {
      const started = now();
      await query(side === 'postgres' ? postgres : sqlite);
      samples[side].push(now() - started);
    }
  }
  return {
    postgres: timing(samples.postgres),
    sqlite: timing(samples.sqlite),
    sameAnswer: JSON.stringify(first.postgres) === JSON.stringify(first.sqlite),
  };
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
const seconds = (ms: number) => Math.round(ms) / 1000;

async function bench(o: Options): Promise<void> {
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const { rows: version } = await admin.query<{ server_version: string }>('SHOW server_version');
  const postgresVersion = version[0]!.server_version;
  const prefix = `bench_${randomBytes(5).toString('hex')}`;
  const models = openPgReadModels({ connectionString: DATABASE_URL, prefix, timeZone: TIME_ZONE });
  const folder = mkdtempSync(join(tmpdir(), 'carepath-bench-postgres-'));
  try {
    const file = join(folder, 'events.db');
    let events: number;
    if (o.log === undefined) {
      log(`filling ${fmt(o.journeys)} journeys…`);
      events = fillInChild(file, o.journeys).events;
    } else {
      // A copy, so the log given is only read (opening the embedded store may write its WAL and indexes).
      log(`copying ${o.log}…`);
      copyFileSync(o.log, file);
      const opened = SqliteEventStore.open({ filename: file });
      events = Number(await opened.headPosition());
      await opened.close();
    }
    log(`log: ${fmt(events)} events; read models in PostgreSQL ${postgresVersion}, schemas ${prefix}_*`);
    const store = SqliteEventStore.open({ filename: file });
    const files = new ReadModelFiles(join(folder, 'read-models'));
    const sqliteRunners: ProjectionRunner[] = [];
    try {
      const head = await store.headPosition();
      const rssAtStart = process.memoryUsage.rss();

      // (a) Every rebuild first, one model after the other, so the kernel's peak RSS after them is theirs alone.
      const rebuilt: { definition: PortableProjectionDefinition; ms: number }[] = [];
      for (const definition of MODELS) {
        log(`rebuilding ${definition.name} into PostgreSQL…`);
        const runner = new PgProjectionRunner(store, definition, models, { ...BATCH_RUNNER_OPTIONS });
        const started = now();
        await runner.start();
        await runner.waitFor(head);
        const ms = now() - started;
        await runner.stop();
        rebuilt.push({ definition, ms });
        log(`  ${seconds(ms)} s`);
      }
      const rssPeak = process.resourceUsage().maxRSS * 1024;

      const measured = [];
      for (const { definition, ms } of rebuilt) {
        const tables = await readBack(admin, models.servingSchema(definition.name), definition);
        const rows = tables.reduce((n, t) => n + t.rows, 0);
        const rawSchema = `${prefix}_raw_${definition.name.replace(/-/g, '_')}`;
        log(`raw COPY of ${definition.name}'s ${fmt(rows)} rows…`);
        const rawMs = await rawCopy(admin, rawSchema, tables);
        const copied = await countRows(admin, rawSchema, tables);
        if (copied !== rows) throw new Error(`${definition.name}: ${copied} rows copied of ${rows}`);
        // Built into SQLite too, for scale: the same runner options, the embedded store.
        const embedded = new ProjectionRunner(store, definition, files, {
          ...BATCH_RUNNER_OPTIONS,
          rebuildInWorker: false,
        });
        sqliteRunners.push(embedded);
        const started = now();
        await embedded.start();
        await embedded.waitFor(head);
        const sqliteMs = now() - started;
        measured.push({
          name: definition.name,
          tables: tables.length,
          rows,
          rebuildSeconds: seconds(ms),
          rawCopySeconds: seconds(rawMs),
          ratioToRaw: ratio(ms, rawMs),
          sqliteRebuildSeconds: seconds(sqliteMs),
          ratioToSqlite: ratio(ms, sqliteMs),
        });
      }

      // (b) The analytics queries and the busiest worklist, on both stores.
      const sqliteOf = (name: string) => sqliteReader(sqliteRunners.find((r) => r.name === name)!.reader());
      const pgOf = (name: string) => models.reader(name);
      const { rows: busy } = await admin.query<{ institution: string; n: string }>(
        `SELECT institution, count(*)::text AS n FROM (
             SELECT to_institution_id AS institution FROM ${models.servingSchema('worklist')}.open_referrals
             UNION ALL SELECT from_institution_id FROM ${models.servingSchema('worklist')}.open_referrals
             UNION ALL SELECT institution_id FROM ${models.servingSchema('worklist')}.current_stays) AS rows
           GROUP BY institution ORDER BY count(*) DESC, institution LIMIT 1`,
      );
      const busiest = busy[0]?.institution ?? 'HOSP-GEN-01';
      const month = parsePeriod({ period: `${o.year}-03` });
      const year = parsePeriod({ period: String(o.year) });
      const worklistAt = Date.parse(`${o.year + 1}-01-01T00:00:00Z`);
      const queries: { name: string; model: string; run: (reader: SqlReader) => Promise<unknown> }[] = [
        {
          name: `referral volume, ${o.year} by direction (queryReferralVolume)`,
          model: 'referral-volume',
          run: (r) => queryReferralVolume(r, year, {}, ['direction'], { timeZone: TIME_ZONE, unit: 'month' }),
        },
        {
          name: `referral volume, ${o.year} by month (queryReferralVolume)`,
          model: 'referral-volume',
          run: (r) => queryReferralVolume(r, year, {}, ['period'], { timeZone: TIME_ZONE, unit: 'month' }),
        },
        {
          name: `local treatment, ${o.year}-03 by region (queryLocalTreatmentByRegion)`,
          model: 'local-treatment',
          run: (r) => queryLocalTreatmentByRegion(r, month, undefined, TIME_ZONE),
        },
        {
          name: `ward occupancy, ${o.year}-03 by ward (queryWardOccupancy)`,
          model: 'ward-occupancy',
          run: (r) =>
            queryWardOccupancy(r, month, {}, 'ward', { timeZone: TIME_ZONE, heldBedRule: 'physical' }),
        },
        {
          name: `worklist of the busiest institution, ${busiest} (queryWorklist)`,
          model: 'worklist',
          run: (r) => queryWorklist(r, busiest, worklistAt),
        },
      ];
      const latencies = [];
      for (const q of queries) {
        log(`${q.name}…`);
        const compared = await compareQuery(o.runs, q.run, pgOf(q.model), sqliteOf(q.model));
        if (!compared.sameAnswer) log(`  the answers differ between PostgreSQL and SQLite`);
        latencies.push({
          name: q.name,
          runs: o.runs,
          ...compared,
          medianRatio: ratio(compared.postgres.median, compared.sqlite.median),
          p95Ratio: ratio(compared.postgres.p95, compared.sqlite.p95),
        });
      }

      const totals = {
        rows: measured.reduce((n, m) => n + m.rows, 0),
        rebuildSeconds: seconds(rebuilt.reduce((n, r) => n + r.ms, 0)),
        rawCopySeconds: Math.round(measured.reduce((n, m) => n + m.rawCopySeconds, 0) * 1000) / 1000,
        sqliteRebuildSeconds:
          Math.round(measured.reduce((n, m) => n + m.sqliteRebuildSeconds, 0) * 1000) / 1000,
      };
      const result = {
        command: `npm run bench:postgres -- ${o.log === undefined ? `--journeys ${o.journeys}` : `--log ${o.log} --year ${o.year}`} --runs ${o.runs}`,
        postgres: postgresVersion,
        journeys: o.log === undefined ? o.journeys : null,
        log: o.log ?? null,
        events,
        rebuild: {
          runnerOptions: BATCH_RUNNER_OPTIONS,
          models: measured,
          total: {
            ...totals,
            ratioToRaw: ratio(totals.rebuildSeconds, totals.rawCopySeconds),
            ratioToSqlite: ratio(totals.rebuildSeconds, totals.sqliteRebuildSeconds),
          },
          rssPeakMb: mb(rssPeak),
          rssAtStartMb: mb(rssAtStart),
        },
        queries: latencies,
      };
      const ms = (t: QueryTiming) => `${t.median} ms / ${t.p95} ms`;
      saveResult(
        'postgres',
        result,
        `${o.log === undefined ? `${fmt(o.journeys)} journeys` : `the log ${o.log}`}, ${fmt(events)} events; PostgreSQL ${postgresVersion} on the same machine. Each read model built from zero by \`PgProjectionRunner\` with the projector's options (pages of ${BATCH_RUNNER_OPTIONS.pageSize}, commits every ${fmt(BATCH_RUNNER_OPTIONS.commitEvery)} events) until caught up; the baseline, in the same run, is one raw \`COPY … FROM STDIN\` (pg-copy-streams) per table of exactly the rows it built, in one transaction, into empty tables of the same DDL and indexes. For scale, the same model built into SQLite by \`ProjectionRunner\` with the same options.

${markdownTable(
  [
    ...measured.map((m) => [
      `\`${m.name}\``,
      fmt(m.rows),
      `${m.rebuildSeconds} s`,
      `${m.rawCopySeconds} s`,
      m.ratioToRaw,
      `${m.sqliteRebuildSeconds} s`,
      m.ratioToSqlite,
    ]),
    [
      `**all ${MODELS.length}**`,
      fmt(totals.rows),
      `${totals.rebuildSeconds} s`,
      `${totals.rawCopySeconds} s`,
      result.rebuild.total.ratioToRaw,
      `${totals.sqliteRebuildSeconds} s`,
      result.rebuild.total.ratioToSqlite,
    ],
  ],
  [
    'read model',
    'rows',
    'rebuild into PostgreSQL',
    'raw COPY of the same rows (same run)',
    'ratio',
    'rebuild into SQLite (same run)',
    'ratio',
  ],
)}

Peak RSS of the process through the ${MODELS.length} rebuilds (the kernel's, log opened, nothing else done before): ${mb(rssPeak)} MB (${mb(rssAtStart)} MB before the first).

Queries, ${o.runs} runs on each store, alternating which goes first (after three untimed runs each); the same answer on both: ${latencies.every((l) => l.sameAnswer) ? 'yes, every query' : `**no**, for ${latencies.filter((l) => !l.sameAnswer).length} of ${latencies.length}`}.

${markdownTable(
  latencies.map((l) => [l.name, ms(l.postgres), ms(l.sqlite), `${l.medianRatio} / ${l.p95Ratio}`]),
  [
    'query',
    'PostgreSQL (`PgReadModels.reader`): median / p95',
    'SQLite (`sqliteReader`), same run: median / p95',
    'ratio PostgreSQL / SQLite: median / p95',
  ],
)}`,
        o.out,
      );
    } finally {
      for (const r of sqliteRunners) await r.stop();
      files.close();
      await store.close();
    }
  } finally {
    await models.close();
    await admin.end();
    // Every schema the run made: the catalog, generations, serving views, analysts' views and the raw copies.
    await dropSchemasOf(prefix, DATABASE_URL);
    rmSync(folder, { recursive: true, force: true });
  }
}

void runCommandLine(USAGE, async () => {
  const o = options();
  if (o.phase === 'fill') {
    console.log(JSON.stringify(await fill(o.file!, o.journeys)));
    return 0;
  }
  await bench(o);
  return 0;
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
