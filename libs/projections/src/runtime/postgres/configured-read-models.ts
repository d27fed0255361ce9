import { openPgReadModels } from './analytics-views';
import type { PgReadModels } from './postgres-read-models';

/** Where the configuration puts the read models: the shape of `AppConfig.readModelStore` (docs/operations.md). */
export type ReadModelStoreSetting =
  | { readonly kind: 'sqlite' }
  | {
      readonly kind: 'postgres';
      readonly connectionString: string;
      readonly schemaPrefix: string;
      readonly analystRole: string | null;
    };

/**
 * The PostgreSQL read models the configuration names, with the analysts' views remade at each promotion in the census
 * time zone; null on the embedded store. The API, the projector and the projections CLI open them alike, so the three
 * cannot disagree on the schema prefix or the analysts' role.
 */
export function configuredPgReadModels(
  store: ReadModelStoreSetting,
  censusTimeZone: string,
): PgReadModels | null {
  if (store.kind === 'sqlite') return null;
  return openPgReadModels({
    connectionString: store.connectionString,
    prefix: store.schemaPrefix,
    timeZone: censusTimeZone,
    analystRole: store.analystRole,
  });
}
