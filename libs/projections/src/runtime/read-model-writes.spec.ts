import Database from 'better-sqlite3';
import { integer, nullable, readModelTable, text } from './read-model-table';
import { keptRows, sqliteWrites } from './read-model-writes';

/** A journey's visits, as a journey projection keeps them: no primary key, found through the journey's index. */
const visits = readModelTable(
  'visits',
  { journeyId: text, visitId: text, occurredAt: integer, ward: nullable(text) },
  { indexes: { visits_by_journey: ['journeyId'] } },
);
type Visit = ReturnType<typeof visits.read>;

const visit = (n: number, journeyId = 'j-1'): Visit => ({
  journeyId,
  visitId: `v-${n}`,
  occurredAt: 1_000 + n,
  ward: n % 2 === 0 ? null : `W-${n}`,
});
const range = (from: number, to: number, journeyId?: string) =>
  Array.from({ length: to - from }, (_, i) => visit(from + i, journeyId));

describe('keptRows', () => {
  it('keeps every previous row when the new rows start with them', () => {
    expect(keptRows(visits, range(0, 3), range(0, 5))).toBe(3);
    expect(keptRows(visits, range(0, 3), range(0, 3))).toBe(3);
    expect(keptRows(visits, [], range(0, 2))).toBe(0);
  });

  it('keeps none when a previous row changed, moved or went', () => {
    expect(keptRows(visits, range(0, 3), [visit(0), { ...visit(1), ward: 'W-9' }, visit(2)])).toBe(-1);
    expect(keptRows(visits, range(0, 3), [visit(1), visit(0), visit(2)])).toBe(-1);
    expect(keptRows(visits, range(0, 3), range(0, 2))).toBe(-1);
    expect(keptRows(visits, [visit(1)], [{ ...visit(1), ward: null }])).toBe(-1);
  });
});

describe('sqliteWrites.replace', () => {
  let db: Database.Database;
  const changes = () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  const stored = (journeyId: string) =>
    db
      .prepare('SELECT * FROM visits WHERE journey_id = ? ORDER BY visit_id')
      .all(journeyId)
      .map((row) => visits.read(row));
  /** Replaces j-1's rows and counts the rows SQLite deleted or inserted doing it. */
  const replace = (rows: readonly Visit[], previous?: readonly Visit[]) => {
    const before = changes();
    sqliteWrites(db).replace(visits, 'journey_id', 'j-1', rows, previous);
    return changes() - before;
  };

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec(visits.create);
    sqliteWrites(db).replace(visits, 'journey_id', 'j-1', range(0, 4), []);
    sqliteWrites(db).replace(visits, 'journey_id', 'j-2', range(0, 2, 'j-2'), []);
  });
  afterEach(() => db.close());

  it('given the rows a journey holds, when one is added at the end, then only that row is inserted', () => {
    expect(replace(range(0, 5), range(0, 4))).toBe(1);
    expect(stored('j-1')).toEqual(range(0, 5));
  });

  it('given the rows a journey holds, when they are the same, then nothing is written', () => {
    expect(replace(range(0, 4), range(0, 4))).toBe(0);
    expect(stored('j-1')).toEqual(range(0, 4));
  });

  it('given the rows a journey holds, when one in the middle changes, then they are all replaced', () => {
    const rows = [visit(0), { ...visit(1), ward: 'W-9' }, visit(2), visit(3)];
    expect(replace(rows, range(0, 4))).toBe(8);
    expect(stored('j-1')).toEqual(rows);
  });

  it('given the rows a journey holds, when one goes, then the rest are written again without it', () => {
    expect(replace(range(1, 4), range(0, 4))).toBe(4 + 3);
    expect(stored('j-1')).toEqual(range(1, 4));
  });

  it('given no word of what the journey holds, then its rows are deleted and inserted', () => {
    expect(replace(range(0, 5))).toBe(4 + 5);
    expect(stored('j-1')).toEqual(range(0, 5));
  });

  it("touches no other journey's rows", () => {
    replace(range(2, 3), range(0, 4));
    replace(range(2, 6), range(2, 3));
    expect(stored('j-1')).toEqual(range(2, 6));
    expect(stored('j-2')).toEqual(range(0, 2, 'j-2'));
  });
});
