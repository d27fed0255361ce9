#!/usr/bin/env node
// The `carepath` command: resolves the monorepo's @carepath/* libraries inside dist/, then runs the CLI.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsconfig-paths';

const root = join(__dirname, '..', '..', '..');
// Every lib the build wrote (dist/libs/<name>/src), as tsconfig.json maps @carepath/<name>.
register({
  baseUrl: root,
  paths: Object.fromEntries(
    readdirSync(join(root, 'libs')).map((name) => [`@carepath/${name}`, [`libs/${name}/src`]]),
  ),
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./main');
