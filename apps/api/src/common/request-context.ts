import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { ACCESS_REASONS, type AccessReason, ROLES, type Role } from '@carepath/runtime';

/**
 * Who acts, for which institution, in which conversation. The actor is the verified bearer token's (issue 17,
 * auth/access.guard.ts): `sub`, its role and its institution; the old identity headers are not read. They are
 * recorded in every event's metadata.
 */
export interface RequestContext {
  readonly actorId: string;
  readonly actorRole: ActorRole;
  readonly institutionId: string;
  /** The token's issuer (`iss`): with `actorId`, the verified identity the access log records. */
  readonly issuer: string;
  readonly correlationId: string;
  /** This request's id: the causation id of every event it writes. */
  readonly requestId: string;
  readonly idempotencyKey: string | null;
  readonly ifMatch: bigint | null;
  /** `projected`: answer a write only once the read models reflect it (`?consistency=` or `X-Consistency`). */
  readonly consistency: 'written' | 'projected';
}

export const ACTOR_ROLES = ROLES;
export type ActorRole = Role;

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * This request's id (Fastify's `genReqId`): the caller's X-Request-Id when it is a well-formed id, so a gateway's
 * id follows the request into the logs and the events' causation ids; a new UUID otherwise.
 */
export function requestIdFor(raw: IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  return typeof given === 'string' && ID.test(given) ? given : randomUUID();
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function parseRequestContext(req: FastifyRequest): RequestContext {
  const actor = req.actor;
  // The guard authenticates every route that is not public; a handler reading an actor on a public route is a bug.
  if (!actor) throw new Error('No verified actor on this request: its route must not be public');
  const problems: string[] = [];
  if (actor.actingInstitutionId === null) {
    problems.push('header X-Institution-Id is required: the institution this service account acts for');
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
  const { consistency } = (req.query ?? {}) as { consistency?: unknown };
  const consistencyRaw =
    header(req, 'x-consistency') ?? (typeof consistency === 'string' ? consistency : undefined);
  if (consistencyRaw !== undefined && consistencyRaw !== 'written' && consistencyRaw !== 'projected') {
    problems.push('consistency must be written or projected');
  }
  if (problems.length > 0)
    throw new BadRequestException({ message: problems, error: 'Bad Request', statusCode: 400 });
  const requestId = req.id;
  return {
    actorId: actor.subject,
    actorRole: actor.role,
    institutionId: actor.actingInstitutionId!,
    issuer: actor.issuer,
    correlationId: correlation ?? requestId,
    requestId,
    idempotencyKey: idempotencyKey ?? null,
    ifMatch,
    consistency: consistencyRaw === 'projected' ? 'projected' : 'written',
  };
}

/** The factories behind `@Ctx()` and `@Access()`, by which a route is known to read the request context. */
const contextFactories = new Set<unknown>();

function contextDecorator<T>(parse: (req: FastifyRequest) => T) {
  const factory = (_: unknown, context: ExecutionContext) =>
    parse(context.switchToHttp().getRequest<FastifyRequest>());
  contextFactories.add(factory);
  return createParamDecorator(factory);
}

/**
 * Whether a route handler takes `@Ctx()` or `@Access()`, and so reads `?consistency=` beside its headers: the
 * OpenAPI document lists that parameter on the writes that do (common/openapi-document.ts), where it matters.
 */
export function readsRequestContext(controller: object, method: string): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
    string,
    { factory?: unknown }
  >;
  return Object.values(args).some((arg) => contextFactories.has(arg.factory));
}

/** Route parameter decorator: `@Ctx() ctx: RequestContext`; 400 naming each bad header. */
export const Ctx = contextDecorator(parseRequestContext);

export interface AccessContext extends RequestContext {
  readonly reason: AccessReason;
  /** The justification an emergency read gives (a ticket number, a short code); null for other reasons. */
  readonly justification: string | null;
}

/** Printable text without control characters, 3-200 characters: it is stored in the access log as given. */
const JUSTIFICATION = /^[^\p{Cc}]{3,200}$/u;

export function parseAccessContext(req: FastifyRequest): AccessContext {
  const ctx = parseRequestContext(req);
  const reason = header(req, 'x-access-reason');
  const justification = header(req, 'x-access-justification');
  const problems: string[] = [];
  if (!reason || !(ACCESS_REASONS as readonly string[]).includes(reason)) {
    problems.push(`header X-Access-Reason must be one of: ${ACCESS_REASONS.join(', ')}`);
  }
  if (reason === 'emergency' && (justification === undefined || !JUSTIFICATION.test(justification.trim()))) {
    problems.push(
      'header X-Access-Justification is required with the reason emergency: 3-200 characters saying why',
    );
  }
  if (problems.length > 0)
    throw new BadRequestException({ message: problems, error: 'Bad Request', statusCode: 400 });
  return {
    ...ctx,
    reason: reason as AccessReason,
    justification: reason === 'emergency' ? justification!.trim() : null,
  };
}

/** `@Access() ctx: AccessContext`: who reads a journey's record, for which institution, and why. */
export const Access = contextDecorator(parseAccessContext);

/** A worklist read may say why (X-Access-Reason); it is recorded as given, or as null. */
export function optionalAccessReason(req: FastifyRequest): AccessReason | null {
  const reason = header(req, 'x-access-reason');
  if (reason === undefined) return null;
  if (!(ACCESS_REASONS as readonly string[]).includes(reason) || reason === 'emergency') {
    throw new BadRequestException({
      message: [
        `header X-Access-Reason must be one of: ${ACCESS_REASONS.filter((r) => r !== 'emergency').join(', ')}`,
      ],
      error: 'Bad Request',
      statusCode: 400,
    });
  }
  return reason as AccessReason;
}
