import { Logger } from '@nestjs/common';
import Fastify from 'fastify';
import { createPino, PinoLoggerService } from './pino.logger';
import { requestIdFor } from './request-context';
import { logRequests } from './request-log.hook';

/** A Fastify instance logging as the API does, into `lines`; a route reads the actor as the guard would set it. */
async function server(lines: Record<string, unknown>[]) {
  const logger = createPino(
    { json: true, silent: false },
    { write: (line) => void lines.push(JSON.parse(line)) },
  );
  const fastify = Fastify({ genReqId: requestIdFor, requestIdHeader: false });
  fastify.decorateRequest('actor', null);
  logRequests(fastify, logger);
  fastify.get('/journeys/:journeyId', (request, reply) => {
    request.actor = {
      issuer: 'urn:test',
      subject: 'dr-1',
      role: 'doctor',
      institutionId: 'CHC-CY-01',
      actingInstitutionId: 'CHC-CY-01',
    };
    return reply.send({ ok: true });
  });
  fastify.get('/health/live', () => ({ status: 'ok' }));
  // Over a socket: Fastify's inject() loads an ESM-only package the specs' CommonJS transform cannot.
  const base = await fastify.listen({ port: 0, host: '127.0.0.1' });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  return { fastify, logger, get };
}

describe('Request and application logs', () => {
  it('write one line per request: the route pattern, never the URL or its query, with the verified actor', async () => {
    const lines: Record<string, unknown>[] = [];
    const { fastify, get } = await server(lines);
    const res = await get('/journeys/0b6c7a2e-8a53-4b52-9f0e-1b2c3d4e5f60?access_token=secret', {
      'x-request-id': 'gateway-7',
      authorization: 'Bearer secret',
    });
    expect(res.headers.get('x-request-id')).toBe('gateway-7');
    await fastify.close();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        context: 'http',
        msg: 'request',
        requestId: 'gateway-7',
        method: 'GET',
        route: '/journeys/:journeyId',
        status: 200,
        ms: expect.any(Number),
        actorId: 'dr-1',
        actorRole: 'doctor',
        institutionId: 'CHC-CY-01',
        issuer: 'urn:test',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/secret|0b6c7a2e/);
  });

  it('give a request a new id when its X-Request-Id is not a well-formed id, and name an unmatched path without its query', async () => {
    const lines: Record<string, unknown>[] = [];
    const { fastify, get } = await server(lines);
    const res = await get('/nowhere?token=secret', { 'x-request-id': 'two words' });
    await fastify.close();
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toEqual([
      expect.objectContaining({ requestId: id, route: null, path: '/nowhere', status: 404 }),
    ]);
    expect(lines[0]).not.toHaveProperty('actorId');
  });

  it('keep health probes out of the info log', async () => {
    const lines: Record<string, unknown>[] = [];
    const { fastify, get } = await server(lines);
    expect((await get('/health/live')).status).toBe(200);
    await fastify.close();
    expect(lines).toEqual([]);
  });

  it("route Nest's Logger through the same pino instance, redacting secrets anywhere in what it is given", async () => {
    const lines: Record<string, unknown>[] = [];
    const { fastify, logger } = await server(lines);
    const nest = new PinoLoggerService(logger);
    Logger.overrideLogger(nest);
    new Logger('auth').warn({
      msg: 'refused',
      headers: { authorization: 'Bearer abc', cookie: 'sid=1' },
      token: 'abc',
      req: { headers: { authorization: 'Bearer abc' } },
    });
    new Logger('http').error('request failed', 'Error: boom\n    at x');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        context: 'auth',
        msg: 'refused',
        headers: { authorization: '[redacted]', cookie: '[redacted]' },
        token: '[redacted]',
        req: { headers: { authorization: '[redacted]' } },
      }),
      expect.objectContaining({
        level: 50,
        context: 'http',
        msg: 'request failed',
        stack: 'Error: boom\n    at x',
      }),
    ]);
    Logger.overrideLogger(false);
    await fastify.close();
  });
});
