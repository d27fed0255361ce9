import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * One structured line per request, written by Fastify's own hooks on the API's pino instance rather than by
 * nestjs-pino or pino-http: those wrap the raw Node request as middleware, before Fastify routes it and before the
 * guard verifies the caller, so they see neither the route pattern nor the actor, and they add a child logger per
 * request on the path the benchmarks time. `onResponse` has both, and Fastify's own `elapsedTime`.
 *
 * No bodies (clinical codes, pseudonymous ids), no headers and no query string (a token could ride in any of
 * them): the route pattern (`/journeys/:journeyId`), not the URL. Health probes are logged at debug only, since an
 * orchestrator asks every few seconds.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  // The line is built here from named fields only, none of them a secret: the redaction the API's other log calls
  // need (pino.logger.ts) would only cost every request its wildcard walk over the line.
  const lines = logger.child({}, { redact: { paths: [], censor: '[redacted]' } });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    const level = route?.startsWith('/health') ? 'debug' : 'info';
    if (lines.isLevelEnabled(level)) {
      const { actor } = request;
      lines[level]({
        context: 'http',
        msg: 'request',
        requestId: request.id,
        correlationId: request.headers['x-correlation-id'],
        method: request.method,
        // Unmatched requests have no pattern: their path, without the query, says what was asked for.
        route: route ?? null,
        ...(route === undefined ? { path: request.url.split('?')[0] } : {}),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        // The verified caller (issue 17), never what a header claims; absent when no token was accepted.
        issuer: actor?.issuer,
        actorId: actor?.subject,
        actorRole: actor?.role,
        institutionId: actor?.actingInstitutionId ?? undefined,
      });
    }
    done();
  });
}
