import { HttpException, HttpStatus } from '@nestjs/common';

/** 409: the stream moved on; the client reloads and decides again against `currentRevision`. */
export class RevisionConflictException extends HttpException {
  constructor(streamId: string, currentRevision: bigint | 'no-stream', expected: string) {
    super(
      {
        statusCode: HttpStatus.CONFLICT,
        error: 'Conflict',
        code: 'REVISION_CONFLICT',
        message: `Expected revision ${expected} but the ${streamId.split('-')[0]} is at ${revisionText(currentRevision)}`,
        currentRevision: currentRevision === 'no-stream' ? null : Number(currentRevision),
      },
      HttpStatus.CONFLICT,
    );
  }
}

/** 422: an Idempotency-Key reused with a different request: replaying would answer a question not asked. */
export class IdempotencyKeyReusedException extends HttpException {
  constructor() {
    super(
      {
        statusCode: HttpStatus.UNPROCESSABLE_ENTITY,
        error: 'Unprocessable Entity',
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'This Idempotency-Key was already used with a different request',
      },
      HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}

export class ResourceNotFoundException extends HttpException {
  constructor(code: string, message: string) {
    super({ statusCode: HttpStatus.NOT_FOUND, error: 'Not Found', code, message }, HttpStatus.NOT_FOUND);
  }
}

/** 400 naming the field, for checks that need the server (clock, reference data) rather than the DTO. */
export class FieldException extends HttpException {
  constructor(field: string, problem: string) {
    super(
      { statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request', message: [`${field} ${problem}`] },
      HttpStatus.BAD_REQUEST,
    );
  }
}

function revisionText(revision: bigint | 'no-stream'): string {
  return revision === 'no-stream' ? 'no revision (it does not exist)' : `revision ${revision}`;
}
