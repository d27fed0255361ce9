import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  Optional,
} from '@nestjs/common';
import { DomainError } from '@carepath/domain';
import {
  AppendTooLargeError,
  DuplicateEventIdError,
  EventStoreBusyError,
  EventStoreUnavailableError,
  WrongExpectedRevisionError,
} from '@carepath/event-store';
import { ProjectionUnavailableError } from '@carepath/projections';
import { IdempotencyKeyReusedError, InvalidFieldError } from '@carepath/write-path';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { withoutPaths } from '../health/health-report';
import { ProjectionsService } from '../projections/projections.service';
import { FieldException, IdempotencyKeyReusedException, RevisionConflictException } from './http-errors';
import { notJson } from './json-body';
import { WorkUnavailableException } from '../work/work-unavailable.exception';

/** Domain codes that mean "no such thing in this journey": 404 rather than 422. */
const NOT_FOUND_CODES = new Set([
  'REFERRAL_NOT_FOUND',
  'ADMISSION_NOT_FOUND',
  'EVENT_NOT_FOUND',
  'WARD_NOT_FOUND',
  // The care processes' subjects (issue 20).
  'PROPOSAL_NOT_FOUND',
  'FOLLOW_UP_NOT_FOUND',
  'SURGERY_NOT_FOUND',
  'VISIT_NOT_FOUND',
  'CONTRACT_NOT_FOUND',
  'SLOT_BLOCK_NOT_PUBLISHED',
  'BOOKING_NOT_FOUND',
  'WEBHOOK_ENDPOINT_NOT_FOUND',
]);

/** Conflicts with bookings already made (docs/family-doctors.md, "Release window and priority"): 409. */
const CONFLICT_CODES = new Set(['NO_SLOT_LEFT', 'RESIDENT_ALREADY_BOOKED']);

/**
 * One place that turns failures into answers a client can act on: 400/404/409/413/422/503, never a bare 500 for
 * anything a user can cause (brief, rule 5).
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  /** Optional: a damaged read model is recognised (and its repair started) only where the projections run. */
  constructor(@Optional() private readonly projections?: ProjectionsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = this.toResponse(exception);
    if (status >= 500) {
      this.logger.error({ msg: 'request failed', status, error: describe(exception) });
    }
    // JSON even where the route had set another type (a CSV export that failed half way through its query).
    reply
      .headers(headers)
      .header('Content-Type', 'application/json; charset=utf-8')
      .status(status)
      .send(body);
  }

  private toResponse(exception: unknown): { status: number; body: object; headers: Record<string, string> } {
    if (exception instanceof DomainError) {
      const status = NOT_FOUND_CODES.has(exception.code)
        ? HttpStatus.NOT_FOUND
        : CONFLICT_CODES.has(exception.code)
          ? HttpStatus.CONFLICT
          : HttpStatus.UNPROCESSABLE_ENTITY;
      return {
        status,
        headers: {},
        body: {
          statusCode: status,
          error: STATUS_CODES[status],
          code: exception.code,
          message: exception.message,
          details: exception.details,
        },
      };
    }
    // The write path is framework-free: its two request errors become the answers http-errors.ts describes.
    if (exception instanceof InvalidFieldError) {
      return this.toResponse(new FieldException(exception.field, exception.problem));
    }
    if (exception instanceof IdempotencyKeyReusedError) {
      return this.toResponse(new IdempotencyKeyReusedException());
    }
    if (exception instanceof WrongExpectedRevisionError) {
      return this.toResponse(
        new RevisionConflictException(exception.streamId, exception.actual, String(exception.expected)),
      );
    }
    if (exception instanceof DuplicateEventIdError) {
      return {
        status: HttpStatus.CONFLICT,
        headers: {},
        body: { statusCode: 409, error: 'Conflict', code: 'DUPLICATE_EVENT_ID', message: exception.message },
      };
    }
    if (exception instanceof AppendTooLargeError) {
      return {
        status: HttpStatus.PAYLOAD_TOO_LARGE,
        headers: {},
        body: {
          statusCode: 413,
          error: 'Payload Too Large',
          code: 'APPEND_TOO_LARGE',
          message: exception.message,
        },
      };
    }
    const unavailable = this.readModelUnavailable(exception);
    if (unavailable) return unavailable;
    if (exception instanceof EventStoreUnavailableError) {
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        headers: { 'Retry-After': String(exception.retryAfterSeconds) },
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          code: exception instanceof EventStoreBusyError ? 'STORE_BUSY' : 'STORE_UNAVAILABLE',
          message: withoutPaths(exception.message),
        },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const body = typeof response === 'string' ? fromSentence(status, response) : response;
      const headers: Record<string, string> = {};
      if (exception instanceof RevisionConflictException) {
        const current = (body as { currentRevision: number | null }).currentRevision;
        if (current !== null) headers.ETag = `"${current}"`;
      }
      if (exception instanceof WorkUnavailableException)
        headers['Retry-After'] = String(exception.retryAfterSeconds);
      return { status, body, headers };
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      headers: {},
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
    };
  }

  /**
   * A read model that cannot serve: being repaired, or found damaged by the query that failed (the repair then
   * starts here). 503 PROJECTION_UNAVAILABLE, not 500: the runner rebuilds it from the log by itself.
   */
  private readModelUnavailable(
    exception: unknown,
  ): { status: number; body: object; headers: Record<string, string> } | null {
    let message: string;
    if (exception instanceof ProjectionUnavailableError) message = exception.message;
    else {
      const damaged = this.projections?.noticeQueryFailure(exception) ?? [];
      if (damaged.length === 0) return null;
      message = `Projection ${damaged.join(', ')}: its read-model file is damaged; it is being rebuilt from the log`;
    }
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      headers: { 'Retry-After': '5' },
      body: {
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'PROJECTION_UNAVAILABLE',
        message: withoutPaths(message),
      },
    };
  }
}

/**
 * An exception with only a sentence: Fastify's own refusals (a Content-Type it cannot parse, a bad Content-Length),
 * as Nest hands them on. In the shape of every other refusal; an unreadable media type answers as json-body.ts does.
 */
function fromSentence(status: number, message: string): object {
  if (status === 415) return notJson().getResponse() as object;
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
}

function describe(exception: unknown): string {
  return exception instanceof Error
    ? `${exception.name}: ${exception.message}\n${exception.stack ?? ''}`
    : String(exception);
}
