import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * 503 for heavy reads (issue 15): `WORK_TIMEOUT` when one ran past its time budget (its thread is stopped),
 * `BUSY` when the heavy-work queue is full, `WORK_FAILED` when its thread died. The client retries after
 * `retryAfterSeconds`, sent as the Retry-After header (ErrorFilter).
 */
export class WorkUnavailableException extends HttpException {
  constructor(
    readonly code: 'WORK_TIMEOUT' | 'BUSY' | 'WORK_FAILED',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(
      { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'Service Unavailable', code, message },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}
