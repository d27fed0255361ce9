import { Body, Controller, Get, HttpException, HttpStatus, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '@carepath/runtime';
import { POLICY } from '../auth/access-policy';
import { RateLimiter } from '../auth/rate-limiter';
import { APP_CONFIG } from '../config/app-config.token';
import {
  AuthorizationStartDto,
  ConsoleModeDto,
  ConsoleSessionDto,
  LoginLinkDto,
  OidcCallbackDto,
  SignedOutDto,
} from './console-auth.dto';
import {
  clearCookie,
  PENDING_COOKIE,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
  setCookie,
} from './console-edge';
import type { ConsoleSession } from './console-sessions';
import { ConsoleSignIn } from './console-sign-in';

/**
 * Sign-in for the coordinator console (issue 21; docs/console.md). The routes that sign in take no token (public in
 * the access policy) and spend the client address's rate budget, as a failed authentication does; the session
 * travels in an HttpOnly cookie and the API sends itself the session's bearer token (console-edge.ts).
 */
@ApiTags('console')
@Controller('console/auth')
export class ConsoleAuthController {
  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('config')
  @ApiOkResponse({ type: ConsoleModeDto })
  @ApiOperation({ summary: 'How people sign in to the console here: login links or the identity provider' })
  mode(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): ConsoleModeDto {
    this.spend(req, reply);
    return { mode: this.signIn.mode };
  }

  @Post('sessions')
  @ApiCreatedResponse({ type: ConsoleSessionDto })
  @ApiOperation({
    summary:
      'Redeem a one-time login link (development issuer) for a console session, set as an HttpOnly cookie',
  })
  async redeem(
    @Body() body: LoginLinkDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConsoleSessionDto> {
    this.spend(req, reply);
    const { id, session } = await this.signIn.redeemLoginLink(body.token);
    return this.opened(req, reply, id, session);
  }

  @Post('oidc/start')
  @ApiCreatedResponse({ type: AuthorizationStartDto })
  @ApiOperation({
    summary: 'Start the authorization code flow with PKCE at the identity provider (AUTH_ISSUER)',
  })
  async start(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthorizationStartDto> {
    this.spend(req, reply);
    const { pendingId, authorizationUrl } = await this.signIn.startAuthorization();
    setCookie(reply, PENDING_COOKIE, pendingId, {
      ...sessionCookie(req, this.config, 10 * 60_000),
      path: '/console/auth/oidc',
    });
    return { authorizationUrl };
  }

  @Post('oidc/callback')
  @ApiCreatedResponse({ type: ConsoleSessionDto })
  @ApiOperation({
    summary:
      "Finish the flow with the provider's answer: the code is exchanged and checked, a session opened",
  })
  async callback(
    @Body() body: OidcCallbackDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConsoleSessionDto> {
    this.spend(req, reply);
    const pendingId = readCookie(req, PENDING_COOKIE);
    clearCookie(req, reply, PENDING_COOKIE, '/console/auth/oidc');
    const { id, session } = await this.signIn.finishAuthorization(pendingId, body.query);
    return this.opened(req, reply, id, session);
  }

  @Get('session')
  @ApiOkResponse({ type: ConsoleSessionDto })
  @ApiOperation({ summary: 'Who is signed in, until when, the CSRF token, and the routes the role may call' })
  session(@Req() req: FastifyRequest): ConsoleSessionDto {
    const actor = req.actor!;
    const current = req.consoleSession;
    return {
      actorId: actor.subject,
      role: actor.role,
      institutionId: actor.actingInstitutionId,
      expiresAt: current ? new Date(this.signIn.endsAt(current.session)).toISOString() : null,
      csrfToken: current?.session.csrfToken ?? '',
      allowedRoutes: allowedRoutes(actor.role),
    };
  }

  @Post('logout')
  @ApiCreatedResponse({ type: SignedOutDto })
  @ApiOperation({ summary: 'End the console session of this browser and forget its cookie' })
  async logout(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SignedOutDto> {
    this.spend(req, reply);
    // Ended in the store every replica reads (docs/console.md): the cookie opens nothing anywhere from now on.
    if (req.consoleSession) await this.signIn.closeSession(req.consoleSession.id);
    clearCookie(req, reply, SESSION_COOKIE, '/');
    return { signedOut: req.consoleSession !== null };
  }

  private opened(
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    session: ConsoleSession,
  ): ConsoleSessionDto {
    setCookie(reply, SESSION_COOKIE, id, sessionCookie(req, this.config, session.expiresAt - Date.now()));
    const { identity } = session;
    return {
      actorId: identity.subject,
      role: identity.role,
      institutionId: identity.institutionId,
      expiresAt: new Date(this.signIn.endsAt(session)).toISOString(),
      csrfToken: session.csrfToken,
      allowedRoutes: allowedRoutes(identity.role),
    };
  }

  /** Sign-in attempts spend the client address's budget, like failed authentications (auth/access.guard.ts). */
  private spend(req: FastifyRequest, reply: FastifyReply): void {
    const { requests, windowSeconds } = this.config.edge.rateLimit;
    const decision = this.limiter.take(`address ${req.ip}`, requests, windowSeconds);
    if (decision.allowed) return;
    void reply.header('Retry-After', String(decision.retryAfterSeconds));
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

/** The routes of the access policy this role may call: what the console shows it (the guard decides again). */
function allowedRoutes(role: string): string[] {
  return Object.entries(POLICY)
    .filter(([, policy]) => policy.scope !== 'public' && (policy.roles as readonly string[]).includes(role))
    .map(([key]) => key);
}
