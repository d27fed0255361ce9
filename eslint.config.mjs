// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { readdirSync } from 'node:fs';

// The pure core (events, deciders, projections) must not reach for the clock, randomness, I/O or a framework:
// time, ids and the actor arrive as command metadata (brief, engineering rule 1).
const impureSyntax = [
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'No clock in the pure core: take time from command metadata.',
  },
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'No clock in the pure core: take time from command metadata.',
  },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message: 'No randomness in the pure core.',
  },
  { selector: "MemberExpression[object.name='process']", message: 'No process access in the pure core.' },
  {
    selector: "CallExpression[callee.property.name='randomUUID']",
    message: 'No id generation in the pure core: ids come in as metadata.',
  },
];

// Libs are imported through their public index, and one file talks to EventStoreDB.
const LIB_BOUNDARIES = [
  {
    group: ['../../libs/*', '**/libs/*/src/*', '@carepath/*/src/*'],
    message: 'Import other libs only through their public index (@carepath/<lib>).',
  },
  {
    group: ['@eventstore/*'],
    message: 'Only libs/event-store/src/esdb/esdb-event-store.ts talks to EventStoreDB.',
  },
];

// Thin apps (issue 18): an app imports libs only, never another app's sources, so each app can change (or be
// deployed) alone; what two apps share belongs in a lib. Specs are tests, not the app: they may start the API.
const APPS = readdirSync(new URL('./apps', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const otherApps = (self) => APPS.filter((app) => app !== self).join('|');
/** Relative imports that climb into another app: `../../api/src/...`, `../apps/api/...`. */
const otherAppSources = (self, message) => ({
  regex: `^(\\.\\./)+(apps/(${otherApps(self)})(/|$)|(${otherApps(self)})/src(/|$))`,
  message,
});
const thinApp = (app) => ({
  files: [`apps/${app}/**/*.ts`],
  ignores: [`apps/${app}/**/*.spec.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...LIB_BOUNDARIES,
          otherAppSources(
            app,
            `apps/${app} imports libs only (@carepath/<lib>), never another app's sources (issue 18): move what they share into a lib.`,
          ),
          { group: ['**/test/**'], message: 'An app does not import test code.' },
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'jest.config.js', 'eslint.config.mjs'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-restricted-imports': ['error', { patterns: LIB_BOUNDARIES }],
    },
  },
  {
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['libs/domain/src/**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...impureSyntax],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@nestjs/*',
                'better-sqlite3',
                '@eventstore/*',
                'rxjs',
                'class-validator',
                'class-transformer',
              ],
              message: 'The domain is plain TypeScript: no framework or database.',
            },
            {
              group: ['node:*', 'fs', 'crypto', 'path', 'os', 'child_process', 'net', 'http'],
              message: 'The domain does no I/O.',
            },
            { group: ['@carepath/*'], message: 'The domain depends on nothing else of ours.' },
          ],
        },
      ],
    },
  },
  {
    // Read-model formulas are pure too: no clock, no I/O; the database side lives next to them, not in model/.
    files: ['libs/projections/src/model/**/*.ts'],
    ignores: ['libs/projections/src/model/**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...impureSyntax],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'better-sqlite3', '@eventstore/*', 'rxjs'],
              message: 'Formulas are plain TypeScript.',
            },
            { group: ['node:*', 'fs', 'crypto', 'path', 'os'], message: 'Formulas do no I/O.' },
            {
              group: ['../runtime/*', '../*/*.projection', '../*/*.query'],
              message: 'Formulas do not reach into the runtime.',
            },
          ],
        },
      ],
    },
  },
  thinApp('projector'),
  thinApp('cli'),
  thinApp('simulator'),
  {
    // The benchmarks drive the apps as their users do (HTTP, command lines, the compiled dist/), not their sources.
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...LIB_BOUNDARIES,
            otherAppSources(
              '',
              "A benchmark imports libs only (@carepath/<lib>) and runs the apps as their users do, never an app's sources (issue 18).",
            ),
          ],
        },
      ],
    },
  },
  {
    // The one file that owns the EventStoreDB client, and the protocol double that serves it in tests.
    files: ['libs/event-store/src/esdb/esdb-event-store.ts', 'test/support/esdb-protocol-double.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Response bodies are untyped JSON; specs assert on their shape instead.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain Node scripts (no type information): syntax rules only.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: false, program: null },
      globals: { process: 'readonly', console: 'readonly', fetch: 'readonly' },
    },
  },
  prettier,
);
