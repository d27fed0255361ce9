import {
  BadRequestException,
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  RequestMethod,
} from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AppConfig, CODE_ID } from '@carepath/runtime';
import { APP_CONFIG } from '../config/app-config.token';
import { POLICY, type RoutePolicy, routeKey } from './access-policy';
import { RateLimiter } from './rate-limiter';
import { TokenVerifier, UnauthenticatedException, type VerifiedIdentity } from './token-verifier';

/** The verified caller, as the guard leaves it on the request for `@Ctx()` and the access log. */
export interface Actor extends VerifiedIdentity {
  /** The institution this request acts for: the token's, or for a `system` account the one it names. */
  readonly actingInstitutionId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, once the guard accepted a token; null on public routes and refused requests. */
    actor: Actor | null;
  }
}

export const forbidden = (code: string, message: string) =>
  new ForbiddenException({ statusCode: 403, error: 'Forbidden', code, message });

/** The key of the route a handler serves, as POLICY spells it (`POST /journeys/:journeyId/visits`). */
export function handlerRouteKey(controller: object, handler: object): string {
  const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
  const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
  const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
  const first = (p: string | string[] | undefined) => (Array.isArray(p) ? (p[0] ?? '') : (p ?? ''));
  return routeKey(RequestMethod[method], `${first(base)}/${first(path)}`);
}

/**
 * The one gate of every request (issue 17): the route's policy (none: refused), the bearer token (401 with
 * `WWW-Authenticate`), the caller's rate budget (429 with `Retry-After`), the role (403), and for
 * `own-institution` routes the path's institution (403). Journey scoping needs the journey, so it is checked where
 * the journey is read (journey-access.ts) or written (the command handler).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly logger = new Logger('auth');
  private readonly routes = new WeakMap<
    object,
    { readonly key: string; readonly policy: RoutePolicy | undefined }
  >();
  private readonly budgetKeys = new WeakMap<VerifiedIdentity, string>();

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const res = context.switchToHttp().getResponse<FastifyReply>();
    const { key, policy } = this.routeOf(context);
    if (!policy) {
      this.logger.error({ msg: 'a route has no access policy: refused', route: key });
      throw forbidden('NO_ACCESS_POLICY', 'This route has no access policy');
    }
    if (policy.scope === 'public') return true;

    let identity: VerifiedIdentity;
    try {
      identity = await this.verifier.verify(header(req, 'authorization'));
    } catch (error) {
      // Failed attempts spend the client address's budget, so guessing tokens is as slow as any other abuse.
      this.spend(res, `address ${req.ip}`, 'human');
      if (error instanceof UnauthenticatedException) res.header('WWW-Authenticate', error.challenge);
      throw error;
    }
    this.spend(res, this.budgetKey(identity), identity.role === 'system' ? 'system' : 'human');
    const actor: Actor = { ...identity, actingInstitutionId: actingInstitution(req, identity) };
    req.actor = actor;

    if (!policy.roles.includes(identity.role)) {
      throw forbidden('ROLE_NOT_ALLOWED', `The role ${identity.role} may not ${key}`);
    }
    if (policy.scope === 'own-institution') {
      const target = String((req.params as { institutionId?: string }).institutionId ?? '');
      if (actor.actingInstitutionId !== target) {
        throw forbidden(
          'OTHER_INSTITUTION',
          `Acting for ${actor.actingInstitutionId ?? 'no institution'}: ${key} is for staff of ${target} only`,
        );
      }
    }
    return true;
  }

  /** A route's key and policy, read from its decorators once: they cannot change while the app runs. */
  private routeOf(context: ExecutionContext): {
    readonly key: string;
    readonly policy: RoutePolicy | undefined;
  } {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const key = handlerRouteKey(context.getClass(), handler);
      route = { key, policy: Object.hasOwn(POLICY, key) ? POLICY[key] : undefined };
      this.routes.set(handler, route);
    }
    return route;
  }

  /**
   * The rate budget's key of a verified identity. The verifier hands back the same identity object for a token it
   * has verified lately, so the key is spelled once per token rather than once per request.
   */
  private budgetKey(identity: VerifiedIdentity): string {
    let key = this.budgetKeys.get(identity);
    if (key === undefined) {
      key = `actor ${identity.issuer} ${identity.subject}`;
      this.budgetKeys.set(identity, key);
    }
    return key;
  }

  private spend(res: FastifyReply, key: string, budget: 'human' | 'system'): void {
    const { requests, systemRequests, windowSeconds } = this.config.edge.rateLimit;
    const decision = this.limiter.take(key, budget === 'system' ? systemRequests : requests, windowSeconds);
    if (decision.allowed) return;
    res.header('Retry-After', String(decision.retryAfterSeconds));
    throw new HttpException(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'RATE_LIMITED',
        message: `Too many requests; retry after ${decision.retryAfterSeconds} s`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Staff act for the institution of their token; a header cannot change it. A `system` service account (an
 * interface engine feeding many institutions' records) names the institution of each request in X-Institution-Id.
 */
function actingInstitution(req: FastifyRequest, identity: VerifiedIdentity): string | null {
  if (identity.role !== 'system') return identity.institutionId;
  const named = header(req, 'x-institution-id');
  if (named === undefined) return identity.institutionId;
  if (!CODE_ID.test(named)) {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: ['header X-Institution-Id must be an institution id'],
    });
  }
  return named;
}
