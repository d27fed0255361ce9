import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { getMetadataStorage } from 'class-validator';
import { operationKey } from '../../apps/api/src/auth/openapi-policy';
import { routeHandlers } from '../../apps/api/src/common/openapi-document';
import { readsRequestContext } from '../../apps/api/src/common/request-context';
import { startTestApp, type TestApp } from '../support/test-app';

interface Operation {
  readonly parameters?: { readonly in: string; readonly name: string }[];
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema?: unknown }> }>;
}

/**
 * The query parameters a route reads, from the route itself: the names of `@Query('name')`, every validated
 * property of a `@Query()` DTO (the whitelist refuses any other), and `consistency` on a write that takes the
 * request context (common/request-context.ts).
 */
function queryParametersRead(controller: Type, method: string): string[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = Reflect.getMetadata('design:paramtypes', controller.prototype, method) as Type[];
  const names = new Set<string>();
  for (const [key, arg] of Object.entries(args)) {
    if (key.split(':')[0] !== String(RouteParamtypes.QUERY)) continue;
    if (typeof arg.data === 'string') names.add(arg.data);
    else {
      const dto = types[arg.index]!;
      for (const rule of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false))
        names.add(rule.propertyName);
    }
  }
  const verb = Reflect.getMetadata(METHOD_METADATA, controller.prototype[method]) as RequestMethod;
  if (verb === RequestMethod.POST && readsRequestContext(controller, method)) names.add('consistency');
  return [...names].sort();
}

describe('The OpenAPI document at /docs/json', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    t = await startTestApp();
    paths = ((await t.http().get('/docs/json').expect(200)).body as { paths: typeof paths }).paths;
  });
  afterAll(async () => t.close());

  const operations = () =>
    Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ key: operationKey(method, path), operation })),
    );

  it('lists every route of the app, and nothing else', () => {
    expect(
      operations()
        .map((o) => o.key)
        .sort(),
    ).toEqual([...routeHandlers(t.app).keys()].sort());
  });

  it('gives every operation a success response with a schema', () => {
    const missing = operations()
      .filter(({ operation }) =>
        Object.entries(operation.responses).every(
          ([status, response]) =>
            !status.startsWith('2') ||
            // An event stream's schema is that of each event's data (GET /notifications/stream).
            !(response.content?.['application/json'] ?? response.content?.['text/event-stream'])?.schema,
        ),
      )
      .map((o) => o.key);
    expect(missing).toEqual([]);
  });

  it('gives every refusal the shared error schema, and every operation its 400', () => {
    for (const { key, operation } of operations()) {
      expect([key, operation.responses['400']?.content?.['application/json']?.schema]).toEqual([
        key,
        { $ref: '#/components/schemas/ErrorResponseDto' },
      ]);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400)
          expect([key, status, response.content]).toEqual([key, status, expect.anything()]);
      }
    }
  });

  it('documents every query parameter each route reads, and none it does not', () => {
    const handlers = routeHandlers(t.app);
    for (const { key, operation } of operations()) {
      const handler = handlers.get(key)!;
      const documented = (operation.parameters ?? [])
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort();
      expect([key, documented]).toEqual([key, queryParametersRead(handler.controller, handler.method)]);
    }
  });
});
