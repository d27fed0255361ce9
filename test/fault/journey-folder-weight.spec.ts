import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldWeight, SqliteEventStore, type StoredEvent } from '@carepath/event-store';
import {
  JourneyFolder,
  JourneyRowsDeriver,
  REBUILD_FOLD_CACHE_BYTES,
  wardOccupancyProjection,
} from '@carepath/projections';
import { generateJourney } from '../support/journey-generator';

/** Journeys interleaved as in recording order: every journey's first two events, then the rest of each. */
let dir: string;
let store: SqliteEventStore;
const journeys = Array.from({ length: 12 }, (_, i) => generateJourney(i, 5));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'journey-folder-weight-'));
  store = SqliteEventStore.open({ filename: join(dir, 'events.db') });
  for (const { streamId, events } of journeys)
    await store.append(streamId, events.slice(0, 2), { expectedRevision: 'no-stream' });
  for (const { streamId, events } of journeys)
    await store.append(streamId, events.slice(2), { expectedRevision: 1n });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * What a batch stages weighs what its open journeys' states weigh (`stagedBytes`), so a batch runner can commit on a
 * byte budget whatever the log's order (docs/benchmarks.md, "Projections"). Journeys interleave here as in
 * recording order: every journey's first two events, then the rest of each.
 */
describe('JourneyFolder.stagedBytes', () => {
  it('grows with each open journey staged, drops a journey that closes, and is zero after a flush', async () => {
    const { events } = await store.readAll({ after: 0n, maxCount: 10_000 });
    const opening = events.slice(0, journeys.length * 2);
    const rest = events.slice(journeys.length * 2);
    const folder = new JourneyFolder(null, (streamId) => store.readStream(streamId));
    const written: string[] = [];
    const write = (journeyId: string) => void written.push(journeyId);

    // Given every journey's first two events, staged: all open, two events folded into each.
    await folder.prepare(opening);
    folder.stage(opening, write);
    expect(written).toEqual([]);
    expect(folder.stagedBytes).toBe(journeys.length * foldWeight(2));

    // When the rest arrives: a journey that closes is written at once and weighs nothing any more; one still open
    // weighs all its events.
    await folder.prepare(rest);
    folder.stage(rest, write);
    const lastOf = new Map<string, StoredEvent>();
    for (const event of events) lastOf.set(event.streamId, event);
    const closed = journeys.filter((j) => lastOf.get(j.streamId)!.type === 'JourneyClosed');
    const open = journeys.filter((j) => lastOf.get(j.streamId)!.type !== 'JourneyClosed');
    expect(closed.length).toBeGreaterThan(0);
    expect(written).toHaveLength(closed.length);
    expect(folder.stagedBytes).toBe(open.reduce((n, j) => n + foldWeight(j.events.length), 0));

    // Then a flush writes the open ones and the batch holds nothing.
    folder.flush(write);
    expect(written).toHaveLength(journeys.length);
    expect(folder.stagedBytes).toBe(0);
  });
});

/**
 * A rebuild worker's cache of folded journeys is bounded in bytes (REBUILD_FOLD_CACHE_BYTES by default): a journey
 * still open when its batch commits is kept while the budget allows, and read back from the log once it does not.
 */
describe("JourneyRowsDeriver's fold cache", () => {
  /** Derives the log in two pages, a commit after the first; the streams read back from the log on a cache miss. */
  async function misses(foldCacheBytes?: number): Promise<string[]> {
    const { events } = await store.readAll({ after: 0n, maxCount: 10_000 });
    const opening = events.slice(0, journeys.length * 2);
    const rest = events.slice(journeys.length * 2);
    const read: string[] = [];
    const deriver = new JourneyRowsDeriver(
      [wardOccupancyProjection.journey],
      (streamId) => {
        read.push(streamId);
        return store.readStream(streamId);
      },
      { commitEvery: opening.length, ...(foldCacheBytes !== undefined ? { foldCacheBytes } : {}) },
    );
    const failed = (messages: readonly { kind: string }[]) => messages.filter((m) => m.kind === 'failed');
    expect(failed(await deriver.take(opening, opening.at(-1)!.position, false))).toEqual([]);
    expect(failed(await deriver.take(rest, rest.at(-1)!.position, true))).toEqual([]);
    return read;
  }

  it('keeps every journey of the committed batch that fits, by default and in an exact budget', async () => {
    expect(REBUILD_FOLD_CACHE_BYTES).toBeGreaterThan(journeys.length * foldWeight(2));
    expect(await misses()).toEqual([]);
    expect(await misses(journeys.length * foldWeight(2))).toEqual([]);
  });

  it('reads back from the log the journeys a smaller budget could not keep', async () => {
    const read = await misses(4 * foldWeight(2));
    expect(read).toHaveLength(journeys.length - 4);
    expect(new Set(read).size).toBe(read.length);
  });
});
