import fastifyStatic from '@fastify/static';
import { HttpException, Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppConfig } from '@carepath/runtime';
import type { ConsoleSession } from './console-sessions';
import { ConsoleSignIn, sessionsUnavailable } from './console-sign-in';

export const SESSION_COOKIE = 'carepath_session';
export const PENDING_COOKIE = 'carepath_oidc';
/** Safe methods change nothing: only writes need the CSRF header. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Routes that open a session: there is none yet to hold a CSRF token (SameSite=Strict still applies). */
const OPENS_A_SESSION = new Set([
  '/console/auth/sessions',
  '/console/auth/oidc/start',
  '/console/auth/oidc/callback',
]);

/*
 * Cookies are read and written here rather than with @fastify/cookie, which loads its parser with a dynamic
 * import() that Jest's module system cannot follow; the console needs two cookies of one shape.
 */
export interface CookieOptions {
  readonly path: string;
  readonly httpOnly: boolean;
  readonly sameSite: 'strict';
  readonly secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge: number;
}

/** The value of cookie `name` in the request, if sent (ids here are base64url: nothing to decode). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      const value = part.slice(at + 1).trim();
      return /^[A-Za-z0-9_-]{1,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const attributes = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAge}`,
    `Expires=${new Date(Date.now() + options.maxAge * 1000).toUTCString()}`,
    'SameSite=Strict',
    ...(options.httpOnly ? ['HttpOnly'] : []),
    ...(options.secure ? ['Secure'] : []),
  ];
  const previous = reply.getHeader('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  void reply.header('set-cookie', [...list, attributes.join('; ')]);
}

export function clearCookie(request: FastifyRequest, reply: FastifyReply, name: string, path: string): void {
  setCookie(reply, name, '', {
    path,
    httpOnly: true,
    sameSite: 'strict',
    secure: isSecure(request),
    maxAge: 0,
  });
}

const isSecure = (request: FastifyRequest) => request.protocol === 'https';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session this request came with, when its cookie named a live one. */
    consoleSession: { readonly id: string; readonly session: ConsoleSession } | null;
  }
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure on https, with an end. */
export function sessionCookie(request: FastifyRequest, config: AppConfig, maxAgeMs: number): CookieOptions {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: isSecure(request) || (config.console.publicUrl ?? '').startsWith('https:'),
    maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)),
  };
}

/**
 * The console on the API's own origin (issue 21): its built files at /console (@fastify/static, no CDN), and the
 * backend-for-frontend step before the access guard: a request without an Authorization header whose session
 * cookie names a live session is sent on with that session's bearer token, after its CSRF token is checked on a
 * write. A bearer client is untouched. Call after hardenEdge (its helmet and cache rules apply) and before init.
 */
export async function serveConsole(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const signIn = app.get(ConsoleSignIn);
  fastify.decorateRequest('consoleSession', null);
  fastify.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      const id = readCookie(request, SESSION_COOKIE);
      if (id === undefined || request.headers.authorization !== undefined) return done();
      signIn.useSession(id).then(
        (session) => {
          if (!session) {
            // Ended or unknown: forget the cookie; the guard answers 401 and the console shows its sign-in.
            clearCookie(request, reply, SESSION_COOKIE, '/');
            return done();
          }
          const path = request.url.split('?')[0] ?? '';
          if (
            !SAFE.has(request.method) &&
            !OPENS_A_SESSION.has(path) &&
            request.headers['x-csrf-token'] !== session.csrfToken
          ) {
            void reply.code(403).send({
              statusCode: 403,
              error: 'Forbidden',
              code: 'CSRF_TOKEN_INVALID',
              message: 'A write with the console session needs its X-CSRF-Token header',
            });
            return done();
          }
          request.consoleSession = { id, session };
          request.headers.authorization = `Bearer ${session.accessToken}`;
          return done();
        },
        (error: unknown) => {
          // The store could not say (its database is down): 503, and the request goes no further, signed in or not.
          const refusal = error instanceof HttpException ? error : sessionsUnavailable();
          void reply.code(refusal.getStatus()).send(refusal.getResponse());
          return done();
        },
      );
    },
  );

  const root = resolve(config.console.dir);
  if (!existsSync(resolve(root, 'index.html'))) {
    new Logger('console').warn({
      msg: 'The console is not built: /console answers 404 (npm run build builds it)',
      dir: root,
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    // Cache-Control stays the edge's (no-store): a new build is seen at once, and nothing patient-related is kept.
    cacheControl: false,
    etag: true,
    index: ['index.html'],
    redirect: true,
    wildcard: true,
  });
}
