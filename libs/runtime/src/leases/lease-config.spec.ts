import { loadDutyLeaseConfig } from './lease-config';

describe('duty lease configuration', () => {
  const postgres = { READ_MODEL_STORE: 'postgres', DATABASE_URL: 'postgres://db/carepath' };

  it('given SQLite read models, then there are no duty leases: the one API runs its duties itself', () => {
    expect(loadDutyLeaseConfig({})).toBeNull();
    expect(loadDutyLeaseConfig({ READ_MODEL_STORE: 'sqlite', DATABASE_URL: 'postgres://db/x' })).toBeNull();
  });

  it('given PostgreSQL read models, then the leases live in <READ_MODEL_SCHEMA>_duties with a 15 s TTL by default', () => {
    expect(loadDutyLeaseConfig(postgres)).toEqual({
      connectionString: 'postgres://db/carepath',
      ttlMs: 15_000,
      schema: 'carepath_duties',
      holder: null,
    });
    expect(
      loadDutyLeaseConfig({
        ...postgres,
        READ_MODEL_SCHEMA: 'cp',
        DUTY_LEASE_TTL_MS: '3000',
        REPLICA_ID: 'api-2',
      }),
    ).toMatchObject({ schema: 'cp_duties', ttlMs: 3_000, holder: 'api-2' });
  });

  it('given a TTL under a second, then the configuration is refused', () => {
    expect(() => loadDutyLeaseConfig({ ...postgres, DUTY_LEASE_TTL_MS: '500' })).toThrow(/DUTY_LEASE_TTL_MS/);
  });
});
