import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { refusedAddress } from './webhook-hosts';

/** Every address a host name resolves to (the system resolver by default; specs give their own). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: ResolveHost = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/** An attempt not sent: where the URL points is not a place the API may post to. */
export class WebhookHostRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookHostRefused';
  }
}

/**
 * The connection's own lookup: the addresses a name resolves to are judged on the very lookup the socket connects
 * with, so a name that answers one address when checked and another when connected (DNS rebinding) cannot slip past.
 */
function refusingLookup(resolve: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const refused = found.find((a) => refusedAddress(a.address));
        if (refused) {
          callback(
            new WebhookHostRefused(
              `not sent: the URL's host resolves to a link-local or unspecified address (${refused.address})`,
            ),
            '',
            0,
          );
          return;
        }
        const family = options.family === 4 || options.family === 6 ? options.family : null;
        const usable = family === null ? found : found.filter((a) => a.family === family);
        const first = usable[0];
        if (!first) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

/**
 * POSTs `body` to `url` and answers the response's status, its body left unread (a receiver's answer is not kept).
 * No redirect is followed: a receiver that redirects misconfigured its URL, and following would sign for another.
 */
export function postWebhook(
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string,
  timeoutMs: number,
  resolve: ResolveHost = systemResolver,
): Promise<number> {
  return new Promise((answer, fail) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: refusingLookup(resolve),
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        response.resume();
        response.on('error', () => undefined);
        answer(response.statusCode ?? 0);
      },
    );
    request.on('error', fail);
    request.end(body);
  });
}
