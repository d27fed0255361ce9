import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldWeight, SqliteEventStore, type StoredEvent } from '@carepath/event-store';
import { JourneyFolder } from '@carepath/projections';
import { generateJourney } from '../support/journey-generator';

/**
 * What a batch stages weighs what its open journeys' states weigh (`stagedBytes`), so a batch runner can commit on a
 * byte budget whatever the log's order (docs/benchmarks.md, "Projections"). Journeys interleave here as in
 * recording order: every journey's first two events, then the rest of each.
 */
describe('JourneyFolder.stagedBytes', () => {
  let folder: string;
  let store: SqliteEventStore;
  const journeys = Array.from({ length: 12 }, (_, i) => generateJourney(i, 5));

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'journey-folder-weight-'));
    store = SqliteEventStore.open({ filename: join(folder, 'events.db') });
    for (const { streamId, events } of journeys)
      await store.append(streamId, events.slice(0, 2), { expectedRevision: 'no-stream' });
    for (const { streamId, events } of journeys)
      await store.append(streamId, events.slice(2), { expectedRevision: 1n });
  });
  afterAll(async () => {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

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
