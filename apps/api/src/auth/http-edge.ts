import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EdgeConfig } from '@carepath/runtime';

/** Request headers a browser client of an allowed origin may send. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'Idempotency-Key',
  'X-Access-Reason',
  'X-Access-Justification',
  'X-Consistency',
  'X-Correlation-Id',
  'X-Institution-Id',
  'X-Request-Id',
];
const EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'WWW-Authenticate', 'X-Request-Id'];

/** The API's answers are JSON: their content security policy allows nothing at all. */
const API_HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
  },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'no-referrer' },
};
/** The OpenAPI pages run Swagger UI's scripts and styles: helmet's default policy, which allows its own. */
const DOCS_HELMET = { ...API_HELMET, contentSecurityPolicy: {} };
/**
 * The console's pages (docs/console.md) run their own scripts and styles, from this origin only; they call the API
 * on the same origin and may be framed by no one.
 */
const CONSOLE_HELMET: HelmetOptions = {
  ...API_HELMET,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // ECharts and the timeline position elements through the style property, which CSP counts as inline style.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
    },
  },
};
const isConsolePage = (path: string) =>
  path === '/console' || (path.startsWith('/console/') && !path.startsWith('/console/auth/'));

const isDocs = (path: string) => path === '/docs' || path.startsWith('/docs/');

/**
 * The headers helmet sets for a policy, worked out once: they depend on the policy alone, never on the request.
 * (@fastify/helmet built helmet's whole middleware again on every request, a cost the write path's profile showed.)
 */
function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: number | string | readonly string[]) {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name];
    },
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error instanceof Error) throw error;
  });
  return headers;
}

const API_HEADERS = securityHeaders(API_HELMET);
const DOCS_HEADERS = securityHeaders(DOCS_HELMET);
const CONSOLE_HEADERS = securityHeaders(CONSOLE_HELMET);

/**
 * The HTTP edge (issue 17): security headers (helmet's, per policy), no caching of any answer (they carry patient data,
 * or may), and CORS closed unless CORS_ALLOWED_ORIGINS lists origins. Fastify sends no X-Powered-By and, like
 * Express before it, trusts no proxy: `request.ip` is the peer's address, which the rate limit counts failed
 * logins by. Call before any route is added, so the docs' routes get their own policy.
 */
export function hardenEdge(app: NestFastifyApplication, edge: EdgeConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    // By the route matched (its pattern), as each route's policy was set before; no route (a 404): the API's.
    const route = request.routeOptions.url ?? '';
    void reply.headers(isDocs(route) ? DOCS_HEADERS : isConsolePage(route) ? CONSOLE_HEADERS : API_HEADERS);
    if (!isDocs(request.url)) void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    done();
  });
  if (edge.corsAllowedOrigins.length > 0) {
    app.enableCors({
      origin: [...edge.corsAllowedOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
    });
  }
}
