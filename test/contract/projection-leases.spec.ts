import { fairShare, PgProjectionLeases } from '@carepath/runtime';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../support/postgres';

/**
 * The lease semantics the projectors rely on (docs/scaling.md, "Projectors that share work"), on the PostgreSQL
 * already running beside CI. Expiry is judged by the database's clock, so the specs wait for it by polling the
 * lease rows, never by sleeping a fixed time.
 */
describe('PgProjectionLeases', () => {
  const TTL_MS = 600;
  let schema: string;
  let leases: PgProjectionLeases;

  beforeEach(() => {
    schema = freshSchema('leases');
    leases = new PgProjectionLeases({ connectionString: TEST_DATABASE_URL, schema, ttlMs: TTL_MS });
  });

  afterEach(async () => {
    await leases.close();
    await dropSchema(schema);
  });

  /** Resolves once `projection`'s lease has run out by the database's clock. */
  async function expired(projection: string): Promise<void> {
    for (;;) {
      const row = (await leases.list()).find((l) => l.projection === projection);
      if (row && (row.expiresInMs === null || row.expiresInMs < 0)) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('given a free projection, when two projectors ask, then only the first holds it', async () => {
    const a = await leases.acquire('ward-occupancy', 'projector-a');
    const b = await leases.acquire('ward-occupancy', 'projector-b');
    expect(a).toEqual({ projection: 'ward-occupancy', holder: 'projector-a', fence: 1 });
    expect(b).toBeNull();
    // Its holder asking again keeps the same fence: nothing changed hands.
    expect(await leases.acquire('ward-occupancy', 'projector-a')).toEqual(a);
  });

  it('given a lease left to expire, then another takes it under a new fence and the old holder cannot renew', async () => {
    const a = (await leases.acquire('worklist', 'projector-a'))!;
    await expired('worklist');
    const b = await leases.acquire('worklist', 'projector-b');
    expect(b).toEqual({ projection: 'worklist', holder: 'projector-b', fence: 2 });
    expect(await leases.renew(a)).toBe(false);
    expect(await leases.renew(b!)).toBe(true);
    // A stale release changes nothing either.
    await leases.release(a);
    expect((await leases.list()).find((l) => l.projection === 'worklist')?.holder).toBe('projector-b');
  });

  it('given an expired lease, then even its old holder renews no more and takes it again under a new fence', async () => {
    const a = (await leases.acquire('notifications', 'projector-a'))!;
    await expired('notifications');
    expect(await leases.renew(a)).toBe(false);
    expect(await leases.acquire('notifications', 'projector-a')).toEqual({ ...a, fence: 2 });
  });

  it('given a released lease, then another takes it at once', async () => {
    const a = (await leases.acquire('slot-pool', 'projector-a'))!;
    await leases.release(a);
    expect(await leases.acquire('slot-pool', 'projector-b')).toEqual({
      projection: 'slot-pool',
      holder: 'projector-b',
      fence: 2,
    });
  });

  it('counts the projectors seen within the time to live, itself included, and none that left', async () => {
    expect(await leases.heartbeat('projector-a')).toBe(1);
    expect(await leases.heartbeat('projector-b')).toBe(2);
    expect(await leases.heartbeat('projector-a')).toBe(2);
    await leases.leave('projector-b');
    expect(await leases.heartbeat('projector-a')).toBe(1);
  });

  it('shares projections evenly, rounding up so that every one is held', () => {
    expect([1, 2, 3, 8, 9].map((members) => fairShare(8, members))).toEqual([8, 4, 3, 1, 1]);
    expect(fairShare(8, 0)).toBe(8);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(
      () => new PgProjectionLeases({ connectionString: TEST_DATABASE_URL, schema: 'x; DROP', ttlMs: 1000 }),
    ).toThrow('plain SQL identifier');
  });
});
