/*
 * The console's one door to the API: same-origin requests carried by the session cookie (HttpOnly, so no script
 * here ever sees a token), the CSRF token the session answered with on every write, and the API's own error body
 * kept whole so a screen can show its message and code (docs/console.md, "Sign-in").
 */

export interface ApiErrorBody {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string | string[];
  readonly currentRevision?: number;
  readonly details?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(Array.isArray(body.message) ? body.message.join('; ') : (body.message ?? `HTTP ${status}`));
  }
}

export interface Session {
  readonly actorId: string;
  readonly role: string;
  readonly institutionId: string | null;
  readonly expiresAt: string;
  readonly csrfToken: string;
  /** The routes the access policy lets this role call, as `POST /journeys/:journeyId/visits`. */
  readonly allowedRoutes: readonly string[];
}

let csrfToken = '';
export const setCsrfToken = (token: string) => {
  csrfToken = token;
};

export interface RequestOptions {
  readonly body?: unknown;
  readonly reason?: string;
  readonly idempotencyKey?: string;
  readonly ifMatch?: number;
}

export async function api<T>(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method === 'POST') {
    headers['X-CSRF-Token'] = csrfToken;
    // The answer waits until the read models show the write, so the worklist read next already reflects it.
    headers['X-Consistency'] = 'projected';
  }
  if (options.reason) headers['X-Access-Reason'] = options.reason;
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  if (options.ifMatch !== undefined) headers['If-Match'] = `"${options.ifMatch}"`;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: text };
  }
  if (!response.ok) throw new ApiError(response.status, parsed ?? {});
  return parsed as T;
}

export const get = <T>(path: string, options?: RequestOptions) => api<T>('GET', path, options);
export const post = <T>(path: string, body: unknown, options: Omit<RequestOptions, 'body'> = {}) =>
  api<T>('POST', path, { ...options, body });

/** `a=1&b=2` of the defined values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Whether the session's role may call the route (derived from the access policy; the API checks again). */
export const allowed = (session: Session, method: string, path: string) =>
  session.allowedRoutes.includes(`${method} ${path}`);

export const newKey = () => crypto.randomUUID();
