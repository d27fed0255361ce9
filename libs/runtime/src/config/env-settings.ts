/*
 * Parsers of environment settings shared by the configuration files: an unset or empty setting takes its default,
 * a value out of range stops the start-up naming the setting.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** A number from `min` to `max` (unbounded above by default), an integer unless `integer` is false. */
export function numberSetting(
  env: Env,
  name: string,
  fallback: number,
  min = 0,
  max = Infinity,
  integer = true,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
    throw new Error(
      `Configuration ${name} must be ${integer ? 'an integer' : 'a number'} ${range}, got "${raw}"`,
    );
  }
  return value;
}

export function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new Error(`Configuration ${name} must be one of ${values.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}
