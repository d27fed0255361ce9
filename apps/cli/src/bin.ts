#!/usr/bin/env node
// The `carepath` command: resolves the monorepo's @carepath/* libraries inside dist/, then runs the CLI.
import { join } from 'node:path';
import { register } from 'tsconfig-paths';

register({
  baseUrl: join(__dirname, '..', '..', '..'),
  paths: {
    '@carepath/domain': ['libs/domain/src'],
    '@carepath/event-store': ['libs/event-store/src'],
    '@carepath/projections': ['libs/projections/src'],
    '@carepath/runtime': ['libs/runtime/src'],
  },
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./main');
