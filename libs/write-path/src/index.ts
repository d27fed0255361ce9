export * from './care-window';
export * from './idempotency';
export * from './write-path';
