import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { catchError, type Observable, throwError } from 'rxjs';
import { WorkUnavailableException } from './work-unavailable.exception';

/** Puts a heavy read's Retry-After on the answer before the error filter writes it (the filter keeps headers set). */
@Injectable()
export class RetryAfterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof WorkUnavailableException) {
          const reply = context.switchToHttp().getResponse<FastifyReply>();
          if (!reply.sent) reply.header('Retry-After', String(error.retryAfterSeconds));
        }
        return throwError(() => error);
      }),
    );
  }
}
