import type { INestApplication, Type } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { handlerRouteKey } from '../auth/access.guard';
import { applyAccessPolicy, operationKey } from '../auth/openapi-policy';
import { ErrorResponseDto } from './error-response.dto';
import { readsRequestContext } from './request-context';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const ERROR_SCHEMA = { $ref: `#/components/schemas/${ErrorResponseDto.name}` };
const CSV_SCHEMA = {
  type: 'string' as const,
  description:
    'RFC 4180, CRLF lines: a header of dotted column names, then the rows (format=csv or Accept: text/csv)',
};

/** What each refusal means wherever it can happen; a route's own decorator may say more. */
const ERRORS: Readonly<Record<string, string>> = {
  400: 'A bad field, header or query parameter, each named in `message`; or a body the API cannot read (BAD_BODY)',
  401: 'No valid bearer token (WWW-Authenticate: Bearer)',
  403: 'The role, institution or care relationship does not allow it',
  404: 'No such journey, institution, ward, referral or event',
  409: 'If-Match names a revision the stream has moved past (REVISION_CONFLICT, with currentRevision)',
  413: 'The body is larger than BODY_LIMIT on the wire or once decoded (BODY_TOO_LARGE)',
  415: 'A body that is not UTF-8 application/json, or a Content-Encoding other than gzip, deflate, br',
  422: 'The domain refuses the command in the journey’s state (its code names the rule); or an Idempotency-Key reused',
  429: 'Rate limit of this actor reached (Retry-After)',
  503: 'The store or a read model cannot answer now (Retry-After)',
};

/**
 * The OpenAPI document: the routes' own DTOs, the access policy (auth/openapi-policy.ts), and the refusals every
 * operation can meet, each in the one ErrorResponseDto shape. Which refusals follow from the route: any can be a
 * 400 (a query parameter named like an Object.prototype member, common/json-body.ts) or a 503; a path parameter
 * can name nothing (404); a POST has a body (413, 415) and writes (409, 422). 401, 403 and 429 come with the policy.
 */
export function describeApi(app: NestFastifyApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('CarePath API')
      .setDescription(
        'Event-sourced referral and care-continuity engine. Writes answer with the journey id, the new revision and the event ids.',
      )
      .setVersion('0.1.0')
      .build(),
    { extraModels: [ErrorResponseDto] },
  );
  // Every route's roles in the document; a route without a policy stops the app here (issue 17).
  applyAccessPolicy(document);
  const handlers = routeHandlers(app);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const handler = handlers.get(operationKey(method, path));
      if (method === 'post' && handler && readsRequestContext(handler.controller, handler.method)) {
        operation.parameters = [...(operation.parameters ?? []), CONSISTENCY];
      }
      const statuses = ['400', '503'];
      if (path.includes('{')) statuses.push('404');
      if (method === 'post') statuses.push('409', '413', '415', '422');
      if (operation.security?.length) statuses.push('401', '403', '429');
      const responses = operation.responses;
      for (const status of statuses) responses[status] ??= { description: ERRORS[status]! };
      for (const [status, response] of Object.entries(responses)) {
        if (!response || '$ref' in response) continue;
        // @ApiProduces lists CSV beside JSON (the analytics): its body is the rows as text, not the JSON schema.
        const csv = response.content?.['text/csv'];
        if (csv) csv.schema = CSV_SCHEMA;
        if (Number(status) >= 400 && !response.content) {
          response.content = { 'application/json': { schema: ERROR_SCHEMA } };
        }
      }
    }
  }
  return document;
}

/** `?consistency=` of a write (request-context.ts; docs/api.md, "Consistency"). */
const CONSISTENCY = {
  name: 'consistency',
  in: 'query' as const,
  required: false,
  schema: { type: 'string', enum: ['written', 'projected'], default: 'written' },
  description:
    '`projected`: answer once every read model reflects the write (as the header X-Consistency: projected)',
};

/** Every route of the app by its key, with the controller class and the name of the method that serves it. */
export function routeHandlers(app: INestApplication): Map<string, { controller: Type; method: string }> {
  const routes = new Map<string, { controller: Type; method: string }>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as Type | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined)
          continue;
        routes.set(handlerRouteKey(controller, handler), { controller, method });
      }
    }
  }
  return routes;
}

/**
 * The document at /docs/json (and /docs-yaml) and Swagger UI at /docs. The UI's page and assets are served here
 * rather than by SwaggerModule, whose UI on Fastify needs @fastify/static for five files: they are the same
 * swagger-ui-dist files @nestjs/swagger ships, read from disk when asked for (the docs are rarely opened), under
 * a fixed list of names, so no path from a request ever reaches the file system.
 */
export function serveApiDocs(app: NestFastifyApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json', ui: false });
  const fastify = app.getHttpAdapter().getInstance();
  const dist = dirname(
    require.resolve('swagger-ui-dist/package.json', { paths: [require.resolve('@nestjs/swagger')] }),
  );
  const page = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>CarePath API</title>',
    '<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>',
    '<body><div id="swagger-ui"></div>',
    '<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/swagger-ui-init.js"></script>',
    '</body></html>',
  ].join('\n');
  // A file of its own: the pages' content security policy allows no inline script.
  const init = `window.ui = SwaggerUIBundle({ url: '/docs/json', dom_id: '#swagger-ui', deepLinking: true });\n`;
  const assets: Readonly<Record<string, string>> = {
    'swagger-ui.css': 'text/css; charset=utf-8',
    'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
    'favicon-32x32.png': 'image/png',
  };
  for (const path of ['/docs', '/docs/']) {
    fastify.get(path, (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  }
  fastify.get('/docs/swagger-ui-init.js', (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(init),
  );
  for (const [name, type] of Object.entries(assets)) {
    fastify.get(`/docs/${name}`, async (_request, reply) =>
      reply.type(type).send(await readFile(join(dist, name))),
    );
  }
}
