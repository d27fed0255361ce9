import { isIP } from 'node:net';

/**
 * Where webhooks may be sent (docs/notifications.md, "Where webhooks may go"). The API posts to URLs that
 * institutions' administrators register, from inside the hospital's network: without a limit, a URL could aim
 * those posts at a service only the API's host can reach. Two rules:
 * - never a link-local or unspecified address (169.254.0.0/16, fe80::/10, 0.0.0.0, ::): cloud instance metadata
 *   and other machine-local services live there, and no receiver does;
 * - with WEBHOOK_ALLOWED_HOSTS set, only the hosts it lists (`his.example.org`), or their subdomains
 *   (`*.example.org`).
 * A host name is judged here as written; what it resolves to is judged on each attempt's connection
 * (webhook-post.ts).
 */
export function webhookHostRefusal(hostname: string, allowed: readonly string[] | null): string | null {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (isLinkLocalOrUnspecified(host)) return 'must not point at a link-local or unspecified address';
  if (allowed === null) return null;
  const listed = allowed.some((entry) =>
    entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry,
  );
  return listed ? null : 'must be on a host WEBHOOK_ALLOWED_HOSTS lists';
}

/** Whether an address (an IP literal, as a resolver answers it) is one no webhook may reach. */
export const refusedAddress = (address: string): boolean => isLinkLocalOrUnspecified(address.toLowerCase());

function isLinkLocalOrUnspecified(host: string): boolean {
  const family = isIP(host);
  if (family === 4) {
    const [a, b] = host.split('.').map(Number);
    return (a === 169 && b === 254) || a === 0;
  }
  if (family === 6) {
    // As URL writes it, in its shortest form: fe80::/10 starts fe8 to feb; :: is the unspecified address; an
    // IPv4-mapped address (::ffff:a9fe:a9fe is 169.254.169.254) is judged as the IPv4 address it maps.
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      const high = parseInt(mapped[1]!, 16);
      return isLinkLocalOrUnspecified(`${high >> 8}.${high & 255}.0.0`);
    }
    return /^fe[89ab]/.test(host) || host === '::';
  }
  return false;
}
