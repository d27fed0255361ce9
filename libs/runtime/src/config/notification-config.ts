import { type Env, numberSetting, oneOf } from './env-settings';

/*
 * Webhook deliveries and the notification stream, as configured (docs/notifications.md; docs/operations.md lists
 * the settings). A value out of range stops the start-up naming the setting.
 */

export interface NotificationConfig {
  /**
   * WEBHOOK_DELIVERY `on` (default) or `off`: whether this process sends webhooks. With several API replicas one
   * sends them and the others say `off`, so a receiver is called once per notification (docs/scaling.md).
   */
  readonly deliver: boolean;
  /** WEBHOOK_ALLOW_HTTP: http:// endpoints anywhere (default: https only, http for localhost). */
  readonly allowHttp: boolean;
  /** WEBHOOK_MAX_ATTEMPTS: attempts of one delivery before it is dead (default 8). */
  readonly maxAttempts: number;
  /** WEBHOOK_RETRY_BASE_MS / WEBHOOK_RETRY_MAX_MS: backoff bounds, full jitter (defaults 5 s, 1 h). */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** WEBHOOK_TIMEOUT_MS: how long one attempt may take, answer included (default 10 s). */
  readonly timeoutMs: number;
  /** WEBHOOK_CONCURRENCY: attempts in flight at once, all endpoints together (default 8; 2 per endpoint). */
  readonly concurrency: number;
  /** NOTIFICATION_HEARTBEAT_MS: comment line on an idle event stream, so proxies keep it open (default 15 s). */
  readonly heartbeatMs: number;
  /**
   * WEBHOOK_ALLOWED_HOSTS: the only hosts webhooks may be sent to, comma-separated (`his.example.org`, or
   * `*.example.org` for its subdomains); unset, any host but link-local ones (docs/notifications.md).
   */
  readonly allowedHosts: readonly string[] | null;
}

const HOST_ENTRY =
  /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;

function allowedHosts(env: Env): readonly string[] | null {
  const raw = env.WEBHOOK_ALLOWED_HOSTS;
  if (raw === undefined || raw.trim() === '') return null;
  return raw.split(',').map((entry) => {
    const host = entry.trim().toLowerCase();
    if (!HOST_ENTRY.test(host)) {
      throw new Error(
        `Configuration WEBHOOK_ALLOWED_HOSTS must list host names, IP addresses or *.domains, got "${entry.trim()}"`,
      );
    }
    // Kept as URL writes a host name: IPv6 addresses without their brackets.
    return host.replace(/^\[(.*)\]$/, '$1');
  });
}

export function loadNotificationConfig(env: Env): NotificationConfig {
  const allow = env.WEBHOOK_ALLOW_HTTP ?? 'false';
  if (allow !== 'true' && allow !== 'false') {
    throw new Error(`Configuration WEBHOOK_ALLOW_HTTP must be true or false, got "${allow}"`);
  }
  const retryBaseMs = numberSetting(env, 'WEBHOOK_RETRY_BASE_MS', 5_000, 1, 3_600_000);
  return {
    deliver: oneOf(env, 'WEBHOOK_DELIVERY', ['on', 'off'] as const, 'on') === 'on',
    allowHttp: allow === 'true',
    maxAttempts: numberSetting(env, 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 50),
    retryBaseMs,
    retryMaxMs: numberSetting(env, 'WEBHOOK_RETRY_MAX_MS', 3_600_000, retryBaseMs, 86_400_000),
    timeoutMs: numberSetting(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    concurrency: numberSetting(env, 'WEBHOOK_CONCURRENCY', 8, 1, 256),
    heartbeatMs: numberSetting(env, 'NOTIFICATION_HEARTBEAT_MS', 15_000, 100, 300_000),
    allowedHosts: allowedHosts(env),
  };
}
