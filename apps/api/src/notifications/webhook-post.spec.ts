import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook, type ResolveHost } from './webhook-post';

/*
 * Given a receiver's host name, when a webhook is posted, then the addresses the name resolves to are judged on the
 * connection itself (docs/notifications.md, "Where webhooks may go"): a name pointing at instance metadata or at an
 * unspecified address is refused before any byte is sent, whatever it pointed at when it was registered.
 */
describe('posting a webhook', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(`${req.headers['webhook-id'] as string} ${body}`);
        res.writeHead(req.url === '/gone' ? 410 : 204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => received.splice(0));

  /** A resolver answering each name from a table, as a DNS server under someone else's control might. */
  const answering =
    (table: Record<string, string[]>): ResolveHost =>
    (hostname) =>
      Promise.resolve(
        (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  const post = (host: string, path: string, resolve: ResolveHost) =>
    postWebhook(new URL(`http://${host}:${port}${path}`), { 'webhook-id': 'n-1' }, '{"a":1}', 2_000, resolve);

  it('given a name resolving to the receiver, then it is posted there and its status answered', async () => {
    const resolve = answering({ 'his.example': ['127.0.0.1'] });
    expect(await post('his.example', '/hook', resolve)).toBe(204);
    expect(await post('his.example', '/gone', resolve)).toBe(410);
    expect(received).toEqual(['n-1 {"a":1}', 'n-1 {"a":1}']);
  });

  it.each([
    ['instance metadata', ['169.254.169.254']],
    ['an unspecified address', ['0.0.0.0']],
    ['an IPv6 link-local address among others', ['127.0.0.1', 'fe80::1']],
  ])('given a name resolving to %s, then nothing is sent and the refusal says why', async (_, addresses) => {
    const resolve = answering({ 'rebound.example': addresses });
    await expect(post('rebound.example', '/hook', resolve)).rejects.toMatchObject({
      name: 'WebhookHostRefused',
      message: expect.stringMatching(
        /^not sent: the URL's host resolves to a link-local or unspecified address \(/,
      ),
    });
    expect(received).toEqual([]);
  });

  it('given a name that resolves to nothing, then the attempt fails as not found', async () => {
    await expect(post('nowhere.example', '/hook', answering({}))).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });
});
