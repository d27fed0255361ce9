import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { AuthenticatedRequest } from '../auth/access.guard';

/** One structured line per request; no bodies, since they carry clinical codes and pseudonymous ids. */
@Injectable()
export class RequestLoggerMiddleware implements NestMiddleware {
  private readonly logger = new Logger('http');

  use(req: Request & { requestId?: string }, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    req.requestId = randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    res.on('finish', () => {
      this.logger.log({
        msg: 'request',
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        requestId: req.requestId,
        correlationId: req.headers['x-correlation-id'],
        // The verified caller (issue 17), never what a header claims; absent when no token was accepted.
        issuer: (req as AuthenticatedRequest).actor?.issuer,
        actorId: (req as AuthenticatedRequest).actor?.subject,
        institutionId: (req as AuthenticatedRequest).actor?.actingInstitutionId ?? undefined,
      });
    });
    next();
  }
}
