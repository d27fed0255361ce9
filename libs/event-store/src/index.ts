export * from './event-store.port';
export { SqliteEventStore, type SqliteEventStoreOptions, verifyRows } from './sqlite/sqlite-event-store';
export { EventStoreBusyError } from './sqlite/sqlite-busy.error';
export * from './audit/hash-chain';
export * from './audit/signed-checkpoint';
export { EsdbEventStore, type EsdbEventStoreOptions } from './esdb/esdb-event-store';
export { BoundedEventStore, positionAsOf } from './bounded-event-store';
export { FoldCache, FOLD_BASE_BYTES, FOLDED_EVENT_BYTES, foldWeight } from './fold-cache';
export { timeOrderedId } from './time-ordered-id';
