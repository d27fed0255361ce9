import Database from 'better-sqlite3';
import { SNAPSHOT_ATTEMPTS, sqliteReader } from './sql-reader';

describe('sqliteReader.snapshot', () => {
  let db: Database.Database;

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE counter (n INTEGER NOT NULL)');
    db.exec('INSERT INTO counter VALUES (0)');
  });
  afterEach(() => db.close());

  /** A group of two reads that commits a change between them for its first `commits` runs; counts its runs. */
  function straddling(commits: number) {
    let runs = 0;
    const read = async (reader: ReturnType<typeof sqliteReader>) => {
      runs++;
      const [first] = (await reader.all('SELECT n FROM counter')) as { n: number }[];
      if (runs <= commits) db.exec('UPDATE counter SET n = n + 1');
      const [second] = (await reader.all('SELECT n FROM counter')) as { n: number }[];
      return [first!.n, second!.n];
    };
    return { read, runs: () => runs };
  }

  it('given a commit during the first run, then it reads again and answers from one commit', async () => {
    const group = straddling(1);
    const answer = await sqliteReader(db).snapshot!(group.read);
    expect(group.runs()).toBe(2);
    expect(answer).toEqual([1, 1]);
  });

  it('given a commit during every run, then it stops after SNAPSHOT_ATTEMPTS runs with the last answer', async () => {
    const group = straddling(Number.POSITIVE_INFINITY);
    const answer = await sqliteReader(db).snapshot!(group.read);
    expect(group.runs()).toBe(SNAPSHOT_ATTEMPTS);
    expect(answer).toEqual([SNAPSHOT_ATTEMPTS - 1, SNAPSHOT_ATTEMPTS]);
  });
});
