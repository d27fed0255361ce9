/*
 * A peer in the same run: Emmett's SQLite event store (@event-driven-io/emmett-sqlite 0.38.5 on the sqlite3
 * driver) and CarePath's SqliteEventStore take the same generated journeys (same types, data, metadata and event
 * ids), one whole journey per append, one append at a time:
 *  - plain appends;
 *  - appends with a count-per-type read model, each kept its own way: Emmett's inline projection (inside the
 *    append's transaction) and CarePath's ProjectionRunner (a catch-up subscription into its own file), timed until
 *    the read model reflects the last append;
 *  - loading every journey back, folded with evolveJourney (Emmett's aggregateStream; CarePath's readStream + fold).
 * Both are also set against raw better-sqlite3 doing the same work with CarePath's durability (WAL,
 * synchronous=FULL), and each store's durability settings are read back from its own connection.
 * Usage: npm run bench:peer -- [--journeys 2000] [--out bench/results]
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { projections } from '@event-driven-io/emmett';
import {
  appendToStream,
  createEventStoreSchema,
  getSQLiteEventStore,
  type SQLiteConnection,
  sqliteConnection,
  type SQLiteEventStore,
  type SQLiteEventStoreOptions,
  type SQLiteReadEvent,
} from '@event-driven-io/emmett-sqlite';
import { evolveJourney, initialJourneyState, JOURNEY_EVENT_TYPES, type JourneyState } from '@carepath/domain';
import { SqliteEventStore } from '@carepath/event-store';
import { type ProjectionDefinition, ProjectionRunner, ReadModelFiles } from '@carepath/projections';
import { benchArgs, fmt, log, ratio, saveResult } from './bench-support';
import {
  appendJourneys,
  countEvents,
  fileBytes,
  foldJourney,
  generateJourneys,
  type Journey,
  latency,
  type Latency,
  markdownTable,
  openRawLog,
  rawJourneyWriter,
  runInTempFolder,
  sampleLatencies,
  timed,
  toJourneyEvent,
} from './journey-bench-support';

const args = benchArgs();
const JOURNEYS = Number(args.get('journeys') ?? 2000);
const OUT = args.get('out') ?? 'bench/results';

const TYPE_COUNTS = 'CREATE TABLE IF NOT EXISTS type_counts (type TEXT PRIMARY KEY, n INTEGER NOT NULL)';
const COUNT_TYPE =
  'INSERT INTO type_counts (type, n) VALUES (?, 1) ON CONFLICT (type) DO UPDATE SET n = n + 1';

/** Emmett's messages for a journey: the same event id rides as its messageId (Emmett keeps it if given). */
const emmettMessages = (j: Journey) =>
  j.events.map((e) => ({ type: e.type, data: e.data, metadata: { ...e.metadata, messageId: e.id } }));

type EmmettJourney = { readonly streamId: string; readonly messages: ReturnType<typeof emmettMessages> };

const carepathTypeCounts: ProjectionDefinition = {
  name: 'type-counts',
  version: 1,
  streamPrefixes: ['journey-'],
  schema: `${TYPE_COUNTS} STRICT;`,
  open(db) {
    const count = db.prepare(COUNT_TYPE);
    return {
      apply: (events) => {
        for (const e of events) count.run(e.type);
      },
    };
  },
};

const emmettTypeCounts: NonNullable<SQLiteEventStoreOptions['projections']> = projections.inline([
  {
    name: 'type-counts',
    canHandle: [...JOURNEY_EVENT_TYPES],
    handle: async (events: readonly SQLiteReadEvent[], { connection }: { connection: SQLiteConnection }) => {
      for (const e of events) await connection.command(COUNT_TYPE, [e.type]);
    },
  },
]);

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

/** One journey after the other, as Emmett's own event store appends them (it opens a connection per call). */
/**
 * Emmett's SQLite store now and then fails a COMMIT with SQLITE_BUSY ("SQL statements in progress") although
 * nothing else writes the file; its withTransaction then rolls back, so the append did not happen and is retried
 * once. Retries are counted and reported, so a run that needed them says so.
 */
let emmettBusyRetries = 0;

async function retriedOnBusy<T>(append: () => Promise<T>): Promise<T> {
  try {
    return await append();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
    emmettBusyRetries++;
    return append();
  }
}

async function emmettAppends(store: SQLiteEventStore, journeys: readonly EmmettJourney[]): Promise<number> {
  return timed(async () => {
    for (const j of journeys)
      await retriedOnBusy(() =>
        store.appendToStream(j.streamId, j.messages, { expectedStreamVersion: 'STREAM_DOES_NOT_EXIST' }),
      );
  });
}

/** Emmett's exported low-level appendToStream on one connection kept open: its SQL without reconnecting. */
async function emmettAppendsOneConnection(file: string, journeys: readonly EmmettJourney[]): Promise<number> {
  const connection = sqliteConnection({ fileName: file });
  try {
    await createEventStoreSchema(connection);
    return await timed(async () => {
      for (const j of journeys) {
        const result = await retriedOnBusy(() =>
          appendToStream(connection, j.streamId, 'journey', j.messages, {
            expectedStreamVersion: 'STREAM_DOES_NOT_EXIST',
          }),
        );
        if (!result.success) throw new Error(`Emmett refused ${j.streamId}`);
      }
    });
  } finally {
    connection.close();
  }
}

async function carepathAppends(
  file: string,
  journeys: readonly Journey[],
  withTypeCounts: ReadModelFiles | null,
): Promise<{ ms: number; counts: Map<string, number> | null; durability: string }> {
  const store = SqliteEventStore.open({ filename: file });
  const runner = withTypeCounts && new ProjectionRunner(store, carepathTypeCounts, withTypeCounts);
  try {
    await runner?.start();
    const ms = await timed(async () => {
      const last = await appendJourneys(store, journeys, 1);
      await runner?.waitFor(last);
    });
    const { details } = await store.health();
    return {
      ms,
      counts: runner && countsIn(runner.reader()),
      durability: `journal_mode=${String(details.journalMode)}, synchronous=${String(details.synchronous)}`,
    };
  } finally {
    await runner?.stop();
    await store.close();
  }
}

async function rawAppends(file: string, journeys: readonly Journey[], withTypeCounts: boolean) {
  const db = openRawLog(file, withTypeCounts ? `${TYPE_COUNTS} STRICT;` : '');
  try {
    const count = withTypeCounts ? db.prepare(COUNT_TYPE) : null;
    const write = rawJourneyWriter(db, count ? (e) => count.run(e.type) : undefined);
    const ms = await timed(() => journeys.forEach(write));
    return { ms, counts: count && countsIn(db) };
  } finally {
    db.close();
  }
}

function countsIn(db: Database.Database): Map<string, number> {
  const rows = db.prepare('SELECT type, n FROM type_counts').all() as { type: string; n: number }[];
  return new Map(rows.map((r) => [r.type, r.n]));
}

function expectCounts(name: string, counts: Map<string, number> | null, journeys: readonly Journey[]): void {
  const expected = new Map<string, number>();
  for (const { events } of journeys)
    for (const e of events) expected.set(e.type, (expected.get(e.type) ?? 0) + 1);
  const same =
    counts !== null &&
    counts.size === expected.size &&
    [...expected].every(([type, n]) => counts.get(type) === n);
  if (!same) throw new Error(`${name}: the type counts differ from the events appended`);
}

/** What Emmett's connections run with: one opened the way Emmett opens each of its own. */
async function emmettDurability(file: string): Promise<string> {
  const connection = sqliteConnection({ fileName: file });
  try {
    const [mode] = await connection.query<{ journal_mode: string }>('PRAGMA journal_mode');
    const [sync] = await connection.query<{ synchronous: number }>('PRAGMA synchronous');
    const [version] = await connection.query<{ v: string }>('SELECT sqlite_version() AS v');
    const synchronous = sync?.synchronous === 2 ? 'FULL' : String(sync?.synchronous);
    return `journal_mode=${mode?.journal_mode}, synchronous=${synchronous} (SQLite ${version?.v}, sqlite3 driver)`;
  } finally {
    connection.close();
  }
}

/** Loads every journey, one after the other: per-load latencies and the folded states, in order. */
async function loadAll(
  streamIds: readonly string[],
  load: (streamId: string) => Promise<JourneyState> | JourneyState,
): Promise<{ latency: Latency; states: JourneyState[] }> {
  const states: JourneyState[] = [];
  const samples = await sampleLatencies(streamIds, async (id) => states.push(await load(id)));
  return { latency: latency(samples), states };
}

runInTempFolder('peer', async (folder) => {
  const journeys = generateJourneys(JOURNEYS, 9);
  const emmettJourneys = journeys.map((j) => ({ streamId: j.streamId, messages: emmettMessages(j) }));
  const streamIds = journeys.map((j) => j.streamId);
  const events = countEvents(journeys);
  const file = (name: string) => join(folder, `${name}.db`);
  log(`${JOURNEYS} journeys, ${events} events`);

  log('appends…');
  const raw = await rawAppends(file('raw'), journeys, false);
  const carepath = await carepathAppends(file('carepath'), journeys, null);
  const emmettStore = getSQLiteEventStore({ fileName: file('emmett') });
  const emmettMs = await emmettAppends(emmettStore, emmettJourneys);
  const emmettOneConnectionMs = await emmettAppendsOneConnection(
    file('emmett-one-connection'),
    emmettJourneys,
  );

  log('appends with a count-per-type read model…');
  const rawCounted = await rawAppends(file('raw-counted'), journeys, true);
  expectCounts('raw', rawCounted.counts, journeys);
  const readModels = new ReadModelFiles(join(folder, 'read-models'));
  const carepathCounted = await carepathAppends(file('carepath-counted'), journeys, readModels).finally(() =>
    readModels.close(),
  );
  expectCounts('CarePath', carepathCounted.counts, journeys);
  const emmettCountedFile = file('emmett-counted');
  const schema = sqliteConnection({ fileName: emmettCountedFile });
  await schema.command(TYPE_COUNTS);
  schema.close();
  const emmettCountedMs = await emmettAppends(
    getSQLiteEventStore({ fileName: emmettCountedFile, projections: emmettTypeCounts }),
    emmettJourneys,
  );
  const emmettCountsDb = new Database(emmettCountedFile, { readonly: true });
  expectCounts('Emmett', countsIn(emmettCountsDb), journeys);
  emmettCountsDb.close();

  log('loading every journey back…');
  const rawDb = new Database(file('raw'), { readonly: true });
  const select = rawDb.prepare(
    'SELECT event_id AS id, type, data, metadata FROM events WHERE stream_id = ? ORDER BY revision',
  );
  const rawLoads = await loadAll(streamIds, (id) =>
    foldJourney(
      (select.all(id) as { id: string; type: string; data: string; metadata: string }[]).map((r) => ({
        id: r.id,
        type: r.type,
        data: JSON.parse(r.data) as unknown,
        metadata: JSON.parse(r.metadata) as unknown,
      })),
    ),
  );
  rawDb.close();
  const store = SqliteEventStore.open({ filename: file('carepath') });
  const carepathLoads = await loadAll(streamIds, async (id) =>
    foldJourney(await store.readStream(id)),
  ).finally(() => store.close());
  const emmettLoads = await loadAll(
    streamIds,
    async (id) =>
      (
        await emmettStore.aggregateStream(id, {
          initialState: initialJourneyState,
          evolve: (state: JourneyState, e: SQLiteReadEvent) =>
            evolveJourney(
              state,
              toJourneyEvent({ id: e.metadata.messageId, type: e.type, data: e.data, metadata: e.metadata }),
            ),
        })
      ).state,
  );
  const same = (a: readonly JourneyState[], b: readonly JourneyState[]) =>
    a.length === b.length && a.every((s, i) => JSON.stringify(s) === JSON.stringify(b[i]));
  if (!same(rawLoads.states, carepathLoads.states) || !same(rawLoads.states, emmettLoads.states))
    throw new Error('the stores folded different journey states from the same events');

  const bytes = {
    raw: Math.round(fileBytes(file('raw')) / events),
    carepath: Math.round(fileBytes(file('carepath')) / events),
    emmett: Math.round(fileBytes(file('emmett')) / events),
  };
  const durability = {
    carepath: carepath.durability,
    emmett: await emmettDurability(file('emmett')),
    raw: 'journal_mode=wal, synchronous=FULL (set by the benchmark)',
  };

  const rates = {
    appends: {
      raw: perSecond(JOURNEYS, raw.ms),
      carepath: perSecond(JOURNEYS, carepath.ms),
      emmett: perSecond(JOURNEYS, emmettMs),
      emmettOneConnection: perSecond(JOURNEYS, emmettOneConnectionMs),
    },
    withTypeCounts: {
      raw: perSecond(JOURNEYS, rawCounted.ms),
      carepath: perSecond(JOURNEYS, carepathCounted.ms),
      emmett: perSecond(JOURNEYS, emmettCountedMs),
    },
  };
  /** CarePath ÷ Emmett, CarePath ÷ raw, Emmett ÷ raw. */
  const three = (c: number, e: number, r: number) => [ratio(c, e), ratio(c, r), ratio(e, r)] as const;
  const loadRatios = three(
    carepathLoads.latency.perSecond,
    emmettLoads.latency.perSecond,
    rawLoads.latency.perSecond,
  );
  const result = {
    journeys: JOURNEYS,
    events,
    durability,
    appendsJourneysPerSecond: {
      ...rates.appends,
      carepathToEmmett: ratio(rates.appends.carepath, rates.appends.emmett),
      carepathToRaw: ratio(rates.appends.carepath, rates.appends.raw),
      emmettToRaw: ratio(rates.appends.emmett, rates.appends.raw),
      carepathToEmmettOneConnection: ratio(rates.appends.carepath, rates.appends.emmettOneConnection),
      emmettOneConnectionToRaw: ratio(rates.appends.emmettOneConnection, rates.appends.raw),
    },
    withTypeCountsJourneysPerSecond: {
      ...rates.withTypeCounts,
      carepathToEmmett: ratio(rates.withTypeCounts.carepath, rates.withTypeCounts.emmett),
      carepathToRaw: ratio(rates.withTypeCounts.carepath, rates.withTypeCounts.raw),
      emmettToRaw: ratio(rates.withTypeCounts.emmett, rates.withTypeCounts.raw),
    },
    loads: {
      raw: rawLoads.latency,
      carepath: carepathLoads.latency,
      emmett: emmettLoads.latency,
      carepathToEmmett: loadRatios[0],
      carepathToRaw: loadRatios[1],
      emmettToRaw: loadRatios[2],
    },
    bytesPerEvent: bytes,
    emmettBusyRetries,
  };
  const a = rates.appends;
  const t = rates.withTypeCounts;
  const load = (l: Latency) => `${fmt(l.perSecond)} loads/s (p50 ${l.p50} ms, p99 ${l.p99} ms)`;
  saveResult(
    'emmett-peer',
    result,
    markdownTable(
      [
        [
          `whole-journey appends, one at a time (${fmt(JOURNEYS)} journeys, ${fmt(events)} events)`,
          `${fmt(a.carepath)} journeys/s`,
          `${fmt(a.emmett)} journeys/s (getSQLiteEventStore().appendToStream: a new connection per call)`,
          `${fmt(a.raw)} journeys/s`,
          ...three(a.carepath, a.emmett, a.raw),
        ],
        [
          'the same, Emmett through its exported appendToStream(connection, …) on one long-lived connection',
          `${fmt(a.carepath)} journeys/s`,
          `${fmt(a.emmettOneConnection)} journeys/s`,
          `${fmt(a.raw)} journeys/s`,
          ...three(a.carepath, a.emmettOneConnection, a.raw),
        ],
        [
          'whole-journey appends with a count-per-type read model, until it reflects the last append',
          `${fmt(t.carepath)} journeys/s (ProjectionRunner: catch-up subscription, own file, synchronous=NORMAL)`,
          `${fmt(t.emmett)} journeys/s (inline projection, in the append's transaction)`,
          `${fmt(t.raw)} journeys/s (upsert in the append's transaction)`,
          ...three(t.carepath, t.emmett, t.raw),
        ],
        [
          'load every journey and fold it with evolveJourney, one at a time',
          `${load(carepathLoads.latency)} (readStream + fold)`,
          `${load(emmettLoads.latency)} (aggregateStream)`,
          `${load(rawLoads.latency)} (SELECT + JSON.parse + fold)`,
          ...loadRatios,
        ],
        [
          'bytes per event on disk (WAL checkpointed)',
          `${bytes.carepath} B (with two SHA-256 links)`,
          `${bytes.emmett} B`,
          `${bytes.raw} B`,
          ...three(bytes.carepath, bytes.emmett, bytes.raw),
        ],
        [
          'durability, read back from each store’s connection',
          durability.carepath,
          durability.emmett,
          durability.raw,
          '',
          '',
          '',
        ],
        [
          'Emmett appends retried once after SQLITE_BUSY (its store as shipped)',
          '',
          String(emmettBusyRetries),
          '',
          '',
          '',
          '',
        ],
      ],
      [
        'measure',
        'CarePath',
        'Emmett 0.38.5 (SQLite)',
        'raw better-sqlite3',
        'CarePath ÷ Emmett',
        'CarePath ÷ raw',
        'Emmett ÷ raw',
      ],
    ),
    OUT,
  );
});
