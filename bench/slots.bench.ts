/*
 * The booking screen (issue 19, "Available slots by department, hospital, alliance and date, fast enough for a
 * booking screen"): queryAvailableSlots, the slot-pool read model's query behind GET /slots/available, against a raw
 * indexed SQL query over the same rows that computes the same figures in SQL, as ratios measured in one run.
 * Both sides are checked to return the same sessions before anything is timed.
 * Usage: npm run bench:slots -- [--residents 2000] [--blocks 3000] [--runs 2000] [--out bench/results]
 */
import { join } from 'node:path';
import { SqliteEventStore } from '@carepath/event-store';
import {
  ProjectionRunner,
  queryAvailableSlots,
  ReadModelFiles,
  slotPoolProjection,
  sqliteReader,
} from '@carepath/projections';
import { familyDoctorLog, FD_DEPARTMENTS, FD_HOSPITALS } from '../test/support/family-doctor-generator';
import { benchArgs, fmt, log, now, ratio, saveResult } from './bench-support';
import { latency, markdownTable, runInTempFolder, timed } from './journey-bench-support';

const args = benchArgs();
const RESIDENTS = Number(args.get('residents') ?? 2000);
const BLOCKS = Number(args.get('blocks') ?? 3000);
const RUNS = Number(args.get('runs') ?? 2000);
const OUT = args.get('out') ?? 'bench/results';
/** Inside every generated session's booking window, before any priority period lapses for the later ones. */
const AT = Date.parse('2026-03-08T12:00:00+08:00');
const DATES = ['2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13', '2026-03-14'];

/** The same figures as queryAvailableSlots, summed per session by SQLite from the same table and index. */
const RAW = `SELECT r.block_id, r.hospital_id, i.alliance_id, r.department, r.clinician_grade, r.date, r.start_time,
    r.starts_at, SUM(r.count - r.booked) AS free,
    SUM(CASE WHEN @at < r.priority_until_ms
      THEN MIN(r.count - r.booked, MAX(0, r.reserved_count - r.priority_booked)) ELSE 0 END) AS held
  FROM slot_releases r LEFT JOIN institutions i ON i.institution_id = r.hospital_id
  WHERE r.department = @department AND r.date = @date AND (@hospitalId IS NULL OR r.hospital_id = @hospitalId)
    AND r.opens_at_ms <= @at AND r.closes_at_ms > @at AND r.booked < r.count
  GROUP BY r.block_id ORDER BY r.starts_at, r.hospital_id, r.block_id`;

runInTempFolder('slots', async (folder) => {
  const store = SqliteEventStore.open({ filename: join(folder, 'events.db') });
  log(`generating ${fmt(RESIDENTS)} residents and ${fmt(BLOCKS)} slot blocks…`);
  let events = 0;
  for (const { streamId, events: stream } of familyDoctorLog(RESIDENTS, BLOCKS)) {
    await store.append(streamId, stream, { expectedRevision: 'no-stream' });
    events += stream.length;
  }
  const runner = new ProjectionRunner(store, slotPoolProjection, new ReadModelFiles(join(folder, 'rm')), {
    pageSize: 5000,
  });
  const buildMs = await timed(async () => {
    await runner.start();
    await runner.waitFor(await store.headPosition());
  });
  const db = runner.reader();
  const reader = sqliteReader(db);
  const raw = db.prepare(RAW);
  const inputs = Array.from({ length: RUNS }, (_, i) => ({
    date: DATES[i % DATES.length]!,
    department: FD_DEPARTMENTS[i % FD_DEPARTMENTS.length]!,
    // Every third asks for one hospital, as a screen narrowed to it does.
    hospitalId: i % 3 === 0 ? FD_HOSPITALS[i % FD_HOSPITALS.length]!.institutionId : undefined,
  }));
  const viaQuery = (q: (typeof inputs)[number]) =>
    queryAvailableSlots(
      reader,
      { date: q.date, department: q.department, ...(q.hospitalId ? { hospitalId: q.hospitalId } : {}) },
      AT,
    );
  const viaRaw = (q: (typeof inputs)[number]) =>
    raw.all({ ...q, hospitalId: q.hospitalId ?? null, at: AT }) as {
      block_id: string;
      free: number;
      held: number;
    }[];
  let sessions = 0;
  for (const q of inputs.slice(0, 30)) {
    const a = (await viaQuery(q)).map((s) => [s.blockId, s.free, s.heldForPriority]);
    const b = viaRaw(q)
      .filter((r) => r.free > 0)
      .map((r) => [r.block_id, r.free, r.held]);
    if (JSON.stringify(a) !== JSON.stringify(b))
      throw new Error(`the two sides differ for ${JSON.stringify(q)}`);
    sessions += a.length;
  }
  const samples = { query: [] as number[], raw: [] as number[] };
  for (const [i, q] of inputs.entries()) {
    // Alternating which side goes first, so neither always meets the other's warm cache.
    for (const side of i % 2 === 0 ? (['raw', 'query'] as const) : (['query', 'raw'] as const)) {
      const started = now();
      if (side === 'query') await viaQuery(q);
      else viaRaw(q);
      samples[side].push(now() - started);
    }
  }
  await runner.stop();
  await store.close();
  const value = latency(samples.query);
  const baseline = latency(samples.raw);
  const figures = {
    residents: RESIDENTS,
    blocks: BLOCKS,
    events,
    runs: RUNS,
    sessionsPerScreen: Math.round(sessions / 30),
    readModelBuildMs: Math.round(buildMs),
    query: value,
    raw: baseline,
    p50Ratio: ratio(value.p50, baseline.p50),
    p99Ratio: ratio(value.p99, baseline.p99),
    rateRatio: ratio(value.perSecond, baseline.perSecond),
  };
  saveResult(
    'slots',
    figures,
    markdownTable([
      [
        `available sessions for a department on a date (queryAvailableSlots; ${fmt(BLOCKS)} blocks, about ${figures.sessionsPerScreen} sessions a screen)`,
        `p50 ${value.p50} ms, p99 ${value.p99} ms`,
        `raw indexed SELECT … GROUP BY block: p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`,
        `p50 ${figures.p50Ratio}, p99 ${figures.p99Ratio}`,
      ],
    ]),
    OUT,
  );
});
