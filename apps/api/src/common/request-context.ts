import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';

/**
 * Who acts, for which institution, in which conversation. Until authentication lands these come from headers
 * (README, "Identity"); they are recorded in every event's metadata from day one.
 */
export interface RequestContext {
  readonly actorId: string;
  readonly actorRole: ActorRole;
  readonly institutionId: string;
  readonly correlationId: string;
  /** This request's id: the causation id of every event it writes. */
  readonly requestId: string;
  readonly idempotencyKey: string | null;
  readonly ifMatch: bigint | null;
  /** `projected`: answer a write only once the read models reflect it (`?consistency=` or `X-Consistency`). */
  readonly consistency: 'written' | 'projected';
}

export const ACTOR_ROLES = ['doctor', 'nurse', 'coordinator', 'registrar', 'admin', 'system'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const KEY = /^[\x21-\x7e]{1,255}$/;

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function parseRequestContext(req: Request): RequestContext {
  const problems: string[] = [];
  const actorId = header(req, 'x-actor-id');
  const actorRole = header(req, 'x-actor-role');
  const institutionId = header(req, 'x-institution-id');
  if (!actorId || !ID.test(actorId))
    problems.push('header X-Actor-Id is required: an id of 1-128 letters, digits, . _ : -');
  if (!actorRole || !(ACTOR_ROLES as readonly string[]).includes(actorRole)) {
    problems.push(`header X-Actor-Role must be one of: ${ACTOR_ROLES.join(', ')}`);
  }
  if (!institutionId || !ID.test(institutionId)) {
    problems.push('header X-Institution-Id is required: the acting institution id');
  }
  const correlation = header(req, 'x-correlation-id');
  if (correlation !== undefined && !ID.test(correlation))
    problems.push('header X-Correlation-Id is not a valid id');
  const idempotencyKey = header(req, 'idempotency-key');
  if (idempotencyKey !== undefined && !KEY.test(idempotencyKey)) {
    problems.push('header Idempotency-Key must be 1-255 visible ASCII characters');
  }
  const ifMatchRaw = header(req, 'if-match');
  let ifMatch: bigint | null = null;
  if (ifMatchRaw !== undefined) {
    const m = /^(?:W\/)?"?(\d{1,18})"?$/.exec(ifMatchRaw.trim());
    if (!m?.[1]) problems.push('header If-Match must be the expected revision, e.g. "3"');
    else ifMatch = BigInt(m[1]);
  }
  const consistencyRaw =
    header(req, 'x-consistency') ??
    (typeof req.query?.consistency === 'string' ? req.query.consistency : undefined);
  if (consistencyRaw !== undefined && consistencyRaw !== 'written' && consistencyRaw !== 'projected') {
    problems.push('consistency must be written or projected');
  }
  if (problems.length > 0)
    throw new BadRequestException({ message: problems, error: 'Bad Request', statusCode: 400 });
  const requestId = (req as Request & { requestId?: string }).requestId ?? randomUUID();
  return {
    actorId: actorId!,
    actorRole: actorRole as ActorRole,
    institutionId: institutionId!,
    correlationId: correlation ?? requestId,
    requestId,
    idempotencyKey: idempotencyKey ?? null,
    ifMatch,
    consistency: consistencyRaw === 'projected' ? 'projected' : 'written',
  };
}

/** Route parameter decorator: `@Ctx() ctx: RequestContext`; 400 naming each bad header. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext) =>
  parseRequestContext(context.switchToHttp().getRequest<Request>()),
);

/**
 * Why a journey's record is read (PIPL: purpose of processing). A closed list, so the access log never holds free
 * text: treatment, care coordination, audit, quality review, the patient's own request, a legal obligation.
 */
export const ACCESS_REASONS = [
  'treatment',
  'care-coordination',
  'audit',
  'quality-review',
  'patient-request',
  'legal',
] as const;
export type AccessReason = (typeof ACCESS_REASONS)[number];

export interface AccessContext extends RequestContext {
  readonly reason: AccessReason;
}

export function parseAccessContext(req: Request): AccessContext {
  const ctx = parseRequestContext(req);
  const reason = header(req, 'x-access-reason');
  if (!reason || !(ACCESS_REASONS as readonly string[]).includes(reason)) {
    throw new BadRequestException({
      message: [`header X-Access-Reason must be one of: ${ACCESS_REASONS.join(', ')}`],
      error: 'Bad Request',
      statusCode: 400,
    });
  }
  return { ...ctx, reason: reason as AccessReason };
}

/** `@Access() ctx: AccessContext`: who reads a journey's record, for which institution, and why. */
export const Access = createParamDecorator((_: unknown, context: ExecutionContext) =>
  parseAccessContext(context.switchToHttp().getRequest<Request>()),
);
