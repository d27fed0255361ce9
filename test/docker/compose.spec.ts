import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { loadConfig, loadDutyLeaseConfig, loadLeaseConfig } from '@carepath/runtime';

/*
 * No Docker engine runs here, so the cluster cannot be started. What can be checked without one: Compose itself
 * validates the file (`config` needs no engine), the cluster is three nodes that seed each other, and the CarePath
 * containers carry a configuration that CarePath itself accepts.
 */
type Service = {
  environment?: Record<string, unknown>;
  command?: string[];
  image?: string;
  build?: unknown;
  volumes?: string[];
};
/** Applies YAML merge keys (`<<: *anchor`), as Docker Compose does. */
function merged(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(merged);
  if (value === null || typeof value !== 'object') return value;
  const { '<<': base, ...own } = value as Record<string, unknown>;
  const result: Record<string, unknown> = base ? { ...(merged(base) as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(own)) result[k] = merged(v);
  return result;
}

const FILE = join(__dirname, '../../docker/docker-compose.yml');
const compose = merged(load(readFileSync(FILE, 'utf8'))) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

/** The Compose CLI here: the v2 plugin or v1 (Debian's `docker-compose`), or null. */
function composeCommand(): string[] | null {
  const works = (cmd: string[]) =>
    spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { stdio: 'ignore' }).status === 0;
  if (works(['docker', 'compose'])) return ['docker', 'compose'];
  if (works(['docker-compose'])) return ['docker-compose'];
  return null;
}

describe('docker/docker-compose.yml', () => {
  it('validates with docker compose config', () => {
    const cmd = composeCommand();
    if (!cmd) {
      // A developer's machine may lack the Compose CLI; CI installs it (.ci/run), so there this always runs.
      expect(process.env.CI ?? '').toBe('');
      return;
    }
    // Throws, with Compose's own message, when the file is invalid.
    execFileSync(cmd[0]!, [...cmd.slice(1), '-p', 'carepath', '-f', FILE, 'config', '-q'], { stdio: 'pipe' });
  });

  it('defines a three-node EventStoreDB cluster seeding each other', () => {
    const nodes = ['esdb1', 'esdb2', 'esdb3'].map((n) => compose.services[n]!);
    for (const node of nodes) {
      expect(node.image).toMatch(/^eventstore\/eventstore:/);
      expect(node.environment).toMatchObject({
        EVENTSTORE_CLUSTER_SIZE: 3,
        EVENTSTORE_INSECURE: 'true',
        EVENTSTORE_GOSSIP_SEED: 'esdb1:2113,esdb2:2113,esdb3:2113',
      });
    }
  });

  it('runs two API replicas and two projectors from docker/Dockerfile, read models in its PostgreSQL', () => {
    const apis = [compose.services['api-1']!, compose.services['api-2']!];
    const projectors = [compose.services['projector-1']!, compose.services['projector-2']!];
    const envOf = (service: Service) =>
      Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
    const postgres = /^postgres:\/\/carepath:[^@]+@postgres:5432\/carepath$/;
    for (const service of [...apis, ...projectors]) {
      expect(service.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      const config = loadConfig(envOf(service));
      expect(config).toMatchObject({
        eventStore: 'esdb',
        projections: 'external',
        readModelStore: { kind: 'postgres', schemaPrefix: 'carepath' },
      });
      expect(config.readModelStore.kind === 'postgres' && config.readModelStore.connectionString).toMatch(
        postgres,
      );
      expect(config.eventStoreConnectionString).toContain('esdb1:2113,esdb2:2113,esdb3:2113');
    }
    // Both replicas have the process manager and the webhooks on; a lease per duty in the compose file's PostgreSQL
    // elects the one that runs it, under names of their own (docs/scaling.md, "API replicas").
    const apiConfigs = apis.map((api) => loadConfig(envOf(api)));
    expect(apiConfigs.map((c) => [c.processes.enabled, c.notifications.deliver])).toEqual([
      [true, true],
      [true, true],
    ]);
    for (const api of apis) expect(loadDutyLeaseConfig(envOf(api))?.connectionString).toMatch(postgres);
    expect(new Set(apiConfigs.map((c) => c.dutyLeases?.holder)).size).toBe(2);
    // One signing key on the volume both mount, so a webhook from either checks with the secret either gave; each
    // keeps its own read models.
    expect(apis.map((api) => api.volumes)).toEqual([['api-data:/data'], ['api-data:/data']]);
    expect(apiConfigs.map((c) => c.webhookSigningKeyFile)).toEqual([
      '/data/webhook-signing.key',
      '/data/webhook-signing.key',
    ]);
    // And one development issuer's key: a token either replica accepts, the other accepts too.
    expect(new Set(apiConfigs.map((c) => c.auth.mode === 'development' && c.auth.keyFile))).toEqual(
      new Set(['/data/dev-issuer.ed25519.pem']),
    );
    expect(new Set(apiConfigs.map((c) => c.readModelDir)).size).toBe(2);
    expect(new Set(apiConfigs.map((c) => c.databaseFile)).size).toBe(2);
    for (const projector of projectors) {
      expect(projector.command).toContain('dist/apps/projector/src/main.js');
      // Its heap limits, as npm run projector sets them (docs/benchmarks.md, "Rebuild memory").
      expect(projector.command).toEqual(
        expect.arrayContaining(['--max-old-space-size=192', '--max-semi-space-size=4']),
      );
      // They share the projections through leases in the compose file's PostgreSQL.
      expect(loadLeaseConfig(envOf(projector))?.connectionString).toMatch(postgres);
    }
    expect(Object.keys(compose.volumes)).toEqual(
      expect.arrayContaining(['esdb1-data', 'postgres-data', 'api-data']),
    );
  });

  it('puts both replicas behind the proxy', () => {
    const proxy = compose.services.proxy as Service & { ports?: string[]; volumes?: string[] };
    expect(proxy.image).toMatch(/^nginx:/);
    expect(proxy.ports).toEqual(['3000:80']);
    const conf = readFileSync(join(__dirname, '../../docker/nginx.conf'), 'utf8');
    expect(conf).toMatch(/server api-1:3000\b/);
    expect(conf).toMatch(/server api-2:3000\b/);
    expect(proxy.volumes).toEqual(['./nginx.conf:/etc/nginx/conf.d/default.conf:ro']);
  });
});
