// Three projects so CI can tell pure specs, store contracts and end-to-end runs apart.
// ts-jest transpiles only (isolatedModules); `npm run typecheck` owns type errors.
const moduleNameMapper = {
  '^@carepath/domain$': '<rootDir>/libs/domain/src',
  '^@carepath/event-store$': '<rootDir>/libs/event-store/src',
  '^@carepath/projections$': '<rootDir>/libs/projections/src',
  '^@carepath/runtime$': '<rootDir>/libs/runtime/src',
  '^@carepath/write-path$': '<rootDir>/libs/write-path/src',
};
const base = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
    // @fastify/static (the console's files) requires content-disposition, published as ES modules only: Node loads
    // it with require(), Jest's module system does not, so Jest compiles that one package to CommonJS.
    '/node_modules/content-disposition/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true }, isolatedModules: true },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
};
module.exports = {
  // Specs wait on conditions, never on time; this only bounds a hang. The API starts worker threads from the
  // TypeScript sources in specs (seconds each on a loaded 2-core CI machine), which Jest's 5 s default does not allow.
  testTimeout: 30_000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    { ...base, displayName: 'contract', testMatch: ['<rootDir>/test/contract/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'fault',
      testMatch: ['<rootDir>/test/fault/**/*.spec.ts', '<rootDir>/test/docker/**/*.spec.ts'],
    },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    // The console in Debian's Chromium (playwright-core), against the real app: docs/console.md, "Tests".
    { ...base, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
};
