import { createServer } from 'node:net';

/**
 * A TCP port nobody listens on now on `host`. Callers that start a child process pick the port here rather than
 * passing 0, because the child is told its port (PORT) and the caller must know it before the child says so.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? done(address.port)
          : fail(new Error(`no free port on ${host}`)),
      );
    });
  });
}
