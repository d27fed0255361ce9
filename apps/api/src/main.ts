import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { heapFlagsToSet, loadConfig } from '@carepath/runtime';
import { setFlagsFromString } from 'node:v8';

async function main(): Promise<void> {
  for (const flag of heapFlagsToSet(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  new Logger('main').log({
    msg: 'CarePath API listening',
    url: `http://${config.host}:${config.port}`,
    docs: '/docs',
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
