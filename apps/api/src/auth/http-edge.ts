import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
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
const API_HELMET: FastifyHelmetOptions = {
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
const CONSOLE_HELMET: FastifyHelmetOptions = {
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
 * The HTTP edge (issue 17): security headers (@fastify/helmet), no caching of any answer (they carry patient data,
 * or may), and CORS closed unless CORS_ALLOWED_ORIGINS lists origins. Fastify sends no X-Powered-By and, like
 * Express before it, trusts no proxy: `request.ip` is the peer's address, which the rate limit counts failed
 * logins by. Call before any route is added, so the docs' routes get their own policy.
 */
export async function hardenEdge(app: NestFastifyApplication, edge: EdgeConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route) => {
    if (isDocs(route.url)) route.config = { ...route.config, helmet: DOCS_HELMET };
    else if (isConsolePage(route.url)) route.config = { ...route.config, helmet: CONSOLE_HELMET };
  });
  await app.register(helmet, API_HELMET);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isDocs(request.url)) reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
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
