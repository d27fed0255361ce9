import { loadNotificationConfig } from './notification-config';

describe('notification configuration', () => {
  it('given nothing set, then delivered here, https only, 8 attempts from 5 s up to 1 h, 10 s a try, 8 at once, 15 s heartbeats, any host', () => {
    expect(loadNotificationConfig({})).toEqual({
      deliver: true,
      allowHttp: false,
      maxAttempts: 8,
      retryBaseMs: 5_000,
      retryMaxMs: 3_600_000,
      timeoutMs: 10_000,
      concurrency: 8,
      heartbeatMs: 15_000,
      allowedHosts: null,
    });
  });

  it('given every setting, then each is read', () => {
    expect(
      loadNotificationConfig({
        WEBHOOK_DELIVERY: 'off',
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_MAX_ATTEMPTS: '3',
        WEBHOOK_RETRY_BASE_MS: '100',
        WEBHOOK_RETRY_MAX_MS: '1000',
        WEBHOOK_TIMEOUT_MS: '2000',
        WEBHOOK_CONCURRENCY: '2',
        NOTIFICATION_HEARTBEAT_MS: '500',
      }),
    ).toEqual({
      deliver: false,
      allowHttp: true,
      maxAttempts: 3,
      retryBaseMs: 100,
      retryMaxMs: 1000,
      timeoutMs: 2000,
      concurrency: 2,
      heartbeatMs: 500,
      allowedHosts: null,
    });
  });

  it('given WEBHOOK_ALLOWED_HOSTS, then its hosts, domains and addresses in lower case, brackets off', () => {
    expect(
      loadNotificationConfig({
        WEBHOOK_ALLOWED_HOSTS: ' HIS.Hospital.example, *.alliance.example,10.2.3.4,[fd00::5]',
      }).allowedHosts,
    ).toEqual(['his.hospital.example', '*.alliance.example', '10.2.3.4', 'fd00::5']);
  });

  it.each([
    ['WEBHOOK_DELIVERY', 'sometimes'],
    ['WEBHOOK_ALLOW_HTTP', 'yes'],
    ['WEBHOOK_MAX_ATTEMPTS', '0'],
    ['WEBHOOK_TIMEOUT_MS', '1.5'],
    ['WEBHOOK_CONCURRENCY', 'many'],
    ['NOTIFICATION_HEARTBEAT_MS', '10'],
    ['WEBHOOK_ALLOWED_HOSTS', 'his.example,https://other.example'],
    ['WEBHOOK_ALLOWED_HOSTS', '*'],
  ])('given %s=%s, then the start-up stops naming it', (name, value) => {
    expect(() => loadNotificationConfig({ [name]: value })).toThrow(name);
  });

  it('given a longest wait below the first, then the start-up stops naming WEBHOOK_RETRY_MAX_MS', () => {
    expect(() =>
      loadNotificationConfig({ WEBHOOK_RETRY_BASE_MS: '5000', WEBHOOK_RETRY_MAX_MS: '100' }),
    ).toThrow('WEBHOOK_RETRY_MAX_MS');
  });
});
