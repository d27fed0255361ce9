/**
 * Health answers in the shape `@nestjs/terminus` gives, so probes, dashboards and people used to it read them as
 * they are: `status` ok or error, each indicator under `details`, and again under `info` (up) or `error` (down).
 */
export interface IndicatorResult {
  readonly status: 'up' | 'down';
  readonly [key: string]: unknown;
}

export interface HealthReport {
  readonly status: 'ok' | 'error';
  readonly info: Record<string, IndicatorResult>;
  readonly error: Record<string, IndicatorResult>;
  readonly details: Record<string, IndicatorResult>;
}

export function healthReport(indicators: Record<string, IndicatorResult>): HealthReport {
  const info: Record<string, IndicatorResult> = {};
  const error: Record<string, IndicatorResult> = {};
  for (const [name, result] of Object.entries(indicators)) {
    if (result.status === 'up') info[name] = result;
    else error[name] = result;
  }
  return {
    status: Object.keys(error).length === 0 ? 'ok' : 'error',
    info,
    error,
    details: indicators,
  };
}

/**
 * An absolute path, where a message may hold one: after a start, a space, a quote, a bracket, `=` or `:`, a `/`
 * and then at least one segment (so `esdb://host` and `a/b` are left alone).
 */
const ABSOLUTE_PATH = /(^|[\s'"`([=:,])\/(?:[^\s'"`()[\]:,;/]+\/)*([^\s'"`()[\]:,;/]+)/g;

/**
 * The same value with every absolute path in its strings cut to the file's name: an answer says which file, never
 * where this server keeps its files (errors from SQLite and the file system carry full paths).
 */
export function withoutPaths<T>(value: T): T {
  if (typeof value === 'string') return value.replace(ABSOLUTE_PATH, '$1$2') as T;
  if (Array.isArray(value)) return value.map((v: unknown) => withoutPaths(v)) as T;
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withoutPaths(v)]),
    ) as T;
  }
  return value;
}
