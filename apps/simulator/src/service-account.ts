import { type AppConfig, devKeyFileFor, loadOrCreateDevKey, signDevToken } from '@carepath/runtime';

/** The simulator's service account (issue 17): `system` records commands for any institution it names. */
export const SIMULATOR = { sub: 'carepath-simulator', role: 'system' } as const;

/**
 * A bearer token signed with the development issuer's key beside the configured DATABASE_FILE (created there if
 * the API has not yet), which an API of that configuration trusts; it lasts a day, longer than any run.
 */
export function devToken(
  config: AppConfig,
  claims: { readonly sub: string; readonly role: string; readonly institutionId?: string },
): string {
  if (config.auth.mode !== 'development') {
    throw new Error(
      'AUTH_ISSUER is set: give the service account token of your identity provider in --token',
    );
  }
  const key = loadOrCreateDevKey(config.auth.keyFile ?? devKeyFileFor(config.databaseFile));
  return signDevToken(key, { ...claims, ttlSeconds: 24 * 3600 });
}
