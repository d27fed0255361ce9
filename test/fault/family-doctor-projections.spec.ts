import {
  COVERAGE_KEY_GROUPS,
  type FamilyDoctorContractState,
  inCoverageKeyGroup,
  signedContractOn,
} from '@carepath/domain';
import type { SqliteEventStore, StoredEvent } from '@carepath/event-store';
import {
  dumpReadModel,
  familyDoctorProjection,
  type ProjectionDefinition,
  queryCoverage,
  querySlotUse,
  sqliteReader,
  slotPoolProjection,
} from '@carepath/projections';
import { contractStream, FD_REGION, familyDoctorLog } from '../support/family-doctor-generator';
import { RunnerHarness } from '../support/projection-harness';

/*
 * The family-doctor and slot-pool read models under the runner's contract (test/fault/projection-runner.spec.ts):
 * live equals a rebuild, pages delivered again change nothing, and the figures equal a count made straight from
 * the deciders' own states (docs/analytics.md, "Family-doctor coverage" and "Slot use").
 */
const RESIDENTS = 90;
const BLOCKS = 12;

describe('family-doctor and slot-pool projections', () => {
  const harness = new RunnerHarness();
  let store: SqliteEventStore;
  const run = (definition: ProjectionDefinition, dir: string, pageSize: number) =>
    harness.caughtUpIn(dir, definition, { pageSize });

  beforeAll(async () => {
    harness.open('carepath-fd-');
    store = harness.store;
    const streams = familyDoctorLog(RESIDENTS, BLOCKS);
    // Each stream in two appends, interleaved, so that pages cut streams in the middle as they would live.
    for (const { streamId, events } of streams)
      await store.append(streamId, events.slice(0, 1), { expectedRevision: 'no-stream' });
    for (const { streamId, events } of streams)
      if (events.length > 1) await store.append(streamId, events.slice(1), { expectedRevision: 0n });
  });
  /** The whole log, page by page. */
  const everything = async (): Promise<StoredEvent[]> => {
    const out: StoredEvent[] = [];
    for (let after = 0n; ;) {
      const page = await store.readAll({ after, maxCount: 500 });
      out.push(...page.events);
      if (page.isEnd) return out;
      after = page.lastPosition;
    }
  };
  afterAll(() => harness.close());

  it.each([familyDoctorProjection, slotPoolProjection])(
    '$name: small live pages equal one rebuild in a single page, and again after a restart',
    async (definition) => {
      const live = await run(definition, `live-${definition.name}`, 7);
      const rebuilt = await run(definition, `rebuilt-${definition.name}`, 10_000);
      const rows = dumpReadModel(live.reader());
      expect(Object.values(rows).every((r) => r.length > 0)).toBe(true);
      expect(rows).toEqual(dumpReadModel(rebuilt.reader()));
      await live.rebuild();
      expect(dumpReadModel(live.reader())).toEqual(rows);
    },
  );

  it('pages delivered again (the cache forgotten, streams re-read from the log) change nothing', async () => {
    const runner = await run(familyDoctorProjection, 'redelivered', 5);
    const before = dumpReadModel(runner.reader());
    const events = await everything();
    const writer = familyDoctorProjection.open(runner.reader(), {
      readStream: (id) => store.readStream(id),
      store,
    });
    const tail = events.filter((e) =>
      familyDoctorProjection.streamPrefixes.some((p) => e.streamId.startsWith(p)),
    );
    const last = tail.slice(-20);
    await writer.prepare?.(last);
    writer.apply(last);
    expect(dumpReadModel(runner.reader())).toEqual(before);
  });

  it('coverage on a date equals a count over the deciders’ states', async () => {
    const runner = await run(familyDoctorProjection, 'coverage', 50);
    const on = '2026-03-01';
    const states: FamilyDoctorContractState[] = Array.from(
      { length: RESIDENTS },
      (_, i) => contractStream(i).state,
    );
    const signed = states.map((s) => signedContractOn(s, on)).filter((c) => c !== null);
    const [region] = await queryCoverage(sqliteReader(runner.reader()), on, 'region');
    expect(region?.key).toBe(FD_REGION);
    expect(region?.coverage).toEqual({
      signed: signed.length,
      population: RESIDENTS * 2,
      rate: Math.round((signed.length / (RESIDENTS * 2)) * 10_000) / 100,
    });
    expect(region?.keyGroupCoverage.signed).toBe(
      signed.filter((c) => inCoverageKeyGroup(c.keyGroups)).length,
    );
    expect(region?.byKeyGroup.hypertension?.signed).toBe(
      signed.filter((c) => c.keyGroups.includes('hypertension')).length,
    );
    expect(Object.keys(region?.byKeyGroup ?? {})).toEqual([...COVERAGE_KEY_GROUPS]);
    const byCentre = await queryCoverage(sqliteReader(runner.reader()), on, 'centre');
    expect(byCentre.map((r) => [r.key, r.coverage.signed, r.coverage.population])).toEqual(
      [...new Set(signed.map((c) => c.centreId))]
        .sort()
        .map((centre) => [centre, signed.filter((c) => c.centreId === centre).length, RESIDENTS]),
    );
  });

  it('slot use counts each hospital’s sessions in the period', async () => {
    const runner = await run(slotPoolProjection, 'slot-use', 50);
    const rows = await querySlotUse(sqliteReader(runner.reader()), {
      from: '2026-03-01',
      to: '2026-04-01',
      key: null,
      unit: null,
    });
    const bookings: { hospital: string; type: string }[] = [];
    for (const e of await everything())
      if (e.streamId.startsWith('slot-block-'))
        bookings.push({
          hospital: `HOSP-FD-0${(Number(e.streamId.split('-').at(-1)) % 2) + 1}`,
          type: e.type,
        });
    for (const row of rows) {
      const mine = bookings.filter((b) => b.hospital === row.hospitalId);
      const count = (type: string) => mine.filter((b) => b.type === type).length;
      const used = count('SlotBooked') - count('SlotBookingCancelled');
      expect(row.utilisation.numerator).toBe(used);
      expect(row.noShowRate).toMatchObject({
        numerator: count('SlotNoShowRecorded'),
        denominator: count('SlotNoShowRecorded') + count('SlotAttended'),
      });
    }
    expect(rows.map((r) => r.hospitalId)).toEqual(['HOSP-FD-01', 'HOSP-FD-02']);
  });
});
