import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ValidationError } from 'class-validator';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '@carepath/runtime';
import { AppModule } from './app.module';
import { hardenEdge } from './auth/http-edge';
import { serveConsole } from './console/console-edge';
import { acceptJsonBodies, byteSize, DEFAULT_BODY_LIMITS } from './common/json-body';
import { describeApi, serveApiDocs } from './common/openapi-document';
import { createPino, PinoLoggerService } from './common/pino.logger';
import { requestIdFor } from './common/request-context';
import { logRequests } from './common/request-log.hook';
import { rememberValidationRules } from './common/validation';
import type { Clock } from './store/tokens';

/**
 * Builds the API exactly as production runs it; end-to-end specs use this too, on a temporary database. Call
 * `app.init()` (or `listen`) and then Fastify's `ready()` before sending it requests. `clock` replaces the wall clock
 * for care time (specs move a fake one).
 */
export async function createApp(
  config: AppConfig,
  options: { logger?: false; clock?: Clock | undefined } = {},
): Promise<NestFastifyApplication> {
  const logger = createPino({ json: config.logJson, silent: options.logger === false });
  const adapter = new FastifyAdapter({
    // X-Request-Id is honoured when well-formed (request-context.ts). Fastify gets no logger of its own:
    // request-log.hook.ts writes one line per request, with the route and the verified actor.
    genReqId: requestIdFor,
    requestIdHeader: false,
    // A path that does not decode (`/journeys/%zz`) is refused by Fastify's router before any hook, guard or filter
    // runs: answered here in the shape of every other 400, and not cached.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply
        .code(400)
        .headers({ 'Cache-Control': 'no-store', 'X-Request-Id': request.id })
        .send({ statusCode: 400, error: 'Bad Request', message: error.message });
    },
    // No Nest middleware runs: bodies, logs and the edge are Fastify hooks, so @fastify/middie is not loaded.
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, { clock: options.clock }),
    adapter,
    {
      bodyParser: false,
      logger: options.logger ?? new PinoLoggerService(logger),
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  fastify.decorateRequest('actor', null);
  logRequests(fastify, logger);
  hardenEdge(app, config.edge);
  await serveConsole(app, config);
  acceptJsonBodies(fastify, { ...DEFAULT_BODY_LIMITS, bytes: byteSize(config.bodyLimit) });
  rememberValidationRules();
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) =>
        new BadRequestException({ statusCode: 400, error: 'Bad Request', message: flatten(errors) }),
    }),
  );
  app.enableShutdownHooks();
  serveApiDocs(app, describeApi(app));
  return app;
}

/** "parent.child must ..." for nested DTOs, so the 400 names every bad field by its path. */
function flatten(errors: readonly ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) && prefix ? `${prefix}.${message}` : message,
    );
    if (own.length === 0 && error.children?.length === 0 && !error.constraints) return [];
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
