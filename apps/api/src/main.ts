import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { loadConfig } from '@carepath/runtime';

async function main(): Promise<void> {
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
