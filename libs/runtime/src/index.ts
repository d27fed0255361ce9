export * from './config/app-config';
export * from './config/auth-config';
export * from './store/open-event-store';
export * from './identity/actor';
export * from './identity/dev-issuer';
export * from './audit/access-record';
export * from './command-line/command-line';
export * from './command-line/progress-bar';
