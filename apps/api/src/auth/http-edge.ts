import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
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
];
const EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'WWW-Authenticate', 'X-Request-Id'];

const isDocs = (req: Request) => req.path === '/docs' || req.path.startsWith('/docs/');

/**
 * The HTTP edge (issue 17): security headers (helmet; the API's answers are JSON, so their content security policy
 * allows nothing at all, and only the OpenAPI pages get helmet's default one), no X-Powered-By, no caching of any
 * answer (they carry patient data, or may), and CORS closed unless CORS_ALLOWED_ORIGINS lists origins.
 */
export function hardenEdge(app: NestExpressApplication, edge: EdgeConfig): void {
  app.disable('x-powered-by');
  const api = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const docs = helmet({ referrerPolicy: { policy: 'no-referrer' } });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (isDocs(req)) return docs(req, res, next);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    return api(req, res, next);
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
