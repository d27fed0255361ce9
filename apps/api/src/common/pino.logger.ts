import type { LoggerService } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

/**
 * Keys whose values are secrets wherever a logged object carries them, at the top or one or two levels down
 * (`headers.authorization`, `req.headers.cookie`). The request line itself never holds headers, bodies or query
 * strings (request-log.hook.ts); this is for whatever else a log call is given.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'accessToken',
  'password',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [`["${key}"]`, `*["${key}"]`, `*.*["${key}"]`]);

/**
 * The API's one pino instance: the request lines and, through PinoLoggerService, every Nest Logger call. JSON lines
 * on stdout in production (LOG_FORMAT=json, the default); `text` prints the same fields as one readable line.
 * Silent where the specs start the app with `logger: false`.
 */
export function createPino(
  options: { readonly json: boolean; readonly silent: boolean },
  /** Where JSON lines go instead of stdout (specs read them). */
  destination?: DestinationStream,
): Logger {
  const settings = {
    level: options.silent ? 'silent' : 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (options.silent) return pino(settings, { write: () => undefined });
  if (!options.json) return pino(settings, textLines());
  return destination ? pino(settings, destination) : pino(settings);
}

/** `12:00:01.123 INFO  [http] request method=GET route=/journeys/:journeyId status=200 ms=1.8`. */
function textLines(): DestinationStream {
  return {
    write(line: string) {
      const {
        time,
        level,
        msg,
        context,
        pid: _pid,
        hostname: _host,
        ...fields
      } = JSON.parse(line) as {
        time: string;
        level: number;
        msg?: string;
        context?: string;
        [field: string]: unknown;
      };
      const name = (pino.levels.labels[level] ?? String(level)).toUpperCase().padEnd(5);
      const rest = Object.entries(fields).map(
        ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
      );
      const words = [`${time.slice(11, 23)} ${name}`, context ? `[${context}]` : '', msg ?? '', ...rest];
      process.stdout.write(`${words.filter(Boolean).join(' ')}\n`);
    },
  };
}

/**
 * Nest's LoggerService on the pino instance, so `new Logger('http').log({...})` and Nest's own start-up lines come
 * out in the same shape as the request lines: the Logger's context as `context`, an object's fields as fields.
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the Logger's context last, and for `error` a stack (or undefined) before it. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const rest = [...params];
    const context = typeof rest.at(-1) === 'string' ? rest.pop() : undefined;
    const stack = rest.find((p): p is string => typeof p === 'string');
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      this.logger[level]({ context, ...(message as Record<string, unknown>), ...(stack ? { stack } : {}) });
    } else {
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
