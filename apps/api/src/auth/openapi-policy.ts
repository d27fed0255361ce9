import type { OpenAPIObject } from '@nestjs/swagger';
import { describePolicy, POLICY, routeKey } from './access-policy';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** The key of a document operation as routes and the policy table spell it: `GET /journeys/:journeyId`. */
export const operationKey = (method: string, path: string): string =>
  routeKey(method, path.replace(/\{([^}]+)\}/g, ':$1'));

/**
 * Writes the policy table into the OpenAPI document: the bearer security scheme, and on each operation its
 * `security`, the roles allowed (`x-roles`, `x-access-scope`) and a line in its description (its 401, 403 and 429
 * answers: common/openapi-document.ts). A route with no entry
 * in the table stops the app here, at start-up: no route is ever served without a policy.
 */
export function applyAccessPolicy(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    securitySchemes: {
      ...document.components?.securitySchemes,
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'An access token (JWT) of the identity provider (AUTH_ISSUER), or of the development issuer (`npm run cli -- token`). Claims: sub (actor), role, institution_id.',
      },
    },
  };
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const key = operationKey(method, path);
      seen.add(key);
      const policy = Object.hasOwn(POLICY, key) ? POLICY[key] : undefined;
      if (!policy) {
        missing.push(key);
        continue;
      }
      const line = `Access: ${describePolicy(policy)}.`;
      operation.description = operation.description ? `${operation.description}\n\n${line}` : line;
      operation.security = policy.scope === 'public' ? [] : [{ bearer: [] }];
      Object.assign(operation, { 'x-roles': [...policy.roles], 'x-access-scope': policy.scope });
    }
  }
  const stale = Object.keys(POLICY).filter((key) => !seen.has(key));
  if (missing.length > 0 || stale.length > 0) {
    throw new Error(
      `The access policy (apps/api/src/auth/access-policy.ts) does not match the routes: ${[
        ...missing.map((k) => `no policy for ${k}`),
        ...stale.map((k) => `a policy for ${k}, which is no route`),
      ].join('; ')}`,
    );
  }
  return document;
}
