import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * Bodies are checked before any object is built from them (docs/robustness.md, "Body limits"): the size on the
 * wire and after decoding (a small gzip body can inflate to gigabytes), the encoding, the media type, the nesting
 * depth and the number of keys, and no key that names an `Object.prototype` member anywhere. Validation and the
 * domain then only ever see plain, shallow JSON; a DTO whitelist that looks keys up on an object cannot be fooled
 * by `constructor` or `__proto__`.
 */
export interface BodyLimits {
  /** Largest body in bytes, on the wire and decoded. */
  readonly bytes: number;
  /** Deepest nesting of objects and arrays; clinical commands are two levels deep. */
  readonly depth: number;
  /** Most object keys and array items in the whole body. */
  readonly entries: number;
}

export const DEFAULT_BODY_LIMITS: Omit<BodyLimits, 'bytes'> = { depth: 32, entries: 1_000 };

const PROTOTYPE_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);

const DECODERS: Readonly<Record<string, (raw: Buffer, max: number) => Buffer>> = Object.assign(
  Object.create(null) as Record<string, (raw: Buffer, max: number) => Buffer>,
  {
    identity: (raw: Buffer) => raw,
    gzip: (raw: Buffer, max: number) => gunzipSync(raw, { maxOutputLength: max }),
    'x-gzip': (raw: Buffer, max: number) => gunzipSync(raw, { maxOutputLength: max }),
    deflate: (raw: Buffer, max: number) => inflateSync(raw, { maxOutputLength: max }),
    br: (raw: Buffer, max: number) => brotliDecompressSync(raw, { maxOutputLength: max }),
  },
);

const bad = (message: string) =>
  new BadRequestException({ statusCode: 400, error: 'Bad Request', code: 'BAD_BODY', message: [message] });

const unsupported = (message: string) =>
  new HttpException(
    { statusCode: 415, error: 'Unsupported Media Type', code: 'UNSUPPORTED_MEDIA_TYPE', message },
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  );

export const notJson = () => unsupported('Send the body as application/json');

export const tooLarge = (limit: number) =>
  new HttpException(
    {
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'BODY_TOO_LARGE',
      message: `Request body is larger than ${limit} bytes`,
    },
    HttpStatus.PAYLOAD_TOO_LARGE,
  );

/** Decoding without `stream` keeps no state between calls, so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** `64kb`, `1mb` or a number of bytes, as BODY_LIMIT is written. */
export function byteSize(value: string): number {
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(value.trim());
  if (!m) throw new Error(`Configuration BODY_LIMIT must be a size such as 64kb, got "${value}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
}

/**
 * The body as JSON, or an HttpException: 415 for an encoding or media type it does not take, 400 for a body it
 * cannot decode or parse or that breaks a shape limit, 413 for one too large once decoded. Undefined for no body.
 */
export function parseJsonBody(
  raw: Buffer,
  headers: { readonly contentType?: string; readonly contentEncoding?: string },
  limits: BodyLimits,
): unknown {
  if (raw.length === 0) return undefined;
  const mediaType = (headers.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    throw notJson();
  }
  const charset = /;\s*charset=("?)([^";]+)\1/i.exec(headers.contentType ?? '')?.[2]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupported('The body must be UTF-8');
  }
  const decoded = decode(raw, headers.contentEncoding, limits.bytes);
  let text: string;
  try {
    text = UTF8.decode(decoded);
  } catch {
    throw bad('body is not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw bad('body is not valid JSON');
  }
  checkShape(body, limits);
  return body;
}

function decode(raw: Buffer, header: string | undefined, max: number): Buffer {
  const codings = (header ?? 'identity')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
  let body = raw;
  // Codings are listed in the order they were applied, so they come off in reverse.
  for (const coding of codings.reverse()) {
    const decoder = Object.prototype.hasOwnProperty.call(DECODERS, coding) ? DECODERS[coding] : undefined;
    if (!decoder)
      throw unsupported(`Content-Encoding ${coding} is not supported (gzip, deflate, br, identity)`);
    try {
      body = decoder(body, max);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(max);
      throw bad(`body is not valid ${coding} data`);
    }
    if (body.length > max) throw tooLarge(max);
  }
  return body;
}

/** A query parameter named like an `Object.prototype` member is a 400 naming it, as an unknown one is. */
export function checkQueryKeys(query: unknown): void {
  if (query === null || typeof query !== 'object') return;
  for (const key of Object.keys(query)) {
    if (PROTOTYPE_NAMES.has(key)) throw bad(`property ${key} should not exist`);
  }
}

/** Where a value sits in the body, kept as links to its parent: the path is spelled out only for an error. */
interface Place {
  readonly parent: Place | null;
  readonly key: string | number;
}

function pathOf(place: Place): string {
  const keys: (string | number)[] = [];
  for (let at: Place | null = place; at; at = at.parent) keys.push(at.key);
  let path = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    path = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  }
  return path;
}

/**
 * Iterative, so a body nested 20,000 deep costs a loop, not the stack. Paths are built only for an error: spelled
 * out for every key, they were most of what a request's body check allocated.
 */
function checkShape(body: unknown, limits: BodyLimits): void {
  const pending: { value: unknown; depth: number; place: Place | null }[] = [
    { value: body, depth: 0, place: null },
  ];
  let entries = 0;
  while (pending.length > 0) {
    const { value, depth, place } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limits.depth) throw bad(`body is nested deeper than ${limits.depth} levels`);
    if (Array.isArray(value)) {
      entries += value.length;
      if (entries > limits.entries) throw bad(`body has more than ${limits.entries} keys and items`);
      value.forEach((item, i) => {
        if (item !== null && typeof item === 'object')
          pending.push({ value: item, depth: depth + 1, place: { parent: place, key: i } });
      });
      continue;
    }
    const keys = Object.keys(value);
    entries += keys.length;
    if (entries > limits.entries) throw bad(`body has more than ${limits.entries} keys and items`);
    for (const key of keys) {
      if (PROTOTYPE_NAMES.has(key)) throw bad(`property ${pathOf({ parent: place, key })} should not exist`);
      const child = (value as Record<string, unknown>)[key];
      // Only objects and arrays are looked into: a scalar has no keys and no depth of its own.
      if (child !== null && typeof child === 'object')
        pending.push({ value: child, depth: depth + 1, place: { parent: place, key } });
    }
  }
}

/**
 * The API's only body parser, in place of Fastify's own (which parses JSON with no depth, key or decoded-size
 * limit): every media type reaches it, so an unknown one is a 415 in the same shape as the other refusals. Fastify
 * calls it only for methods that carry a body (not GET or HEAD), and hands it the unread stream, so the size is
 * counted here, on the wire and after decoding. Its exceptions reach the ErrorFilter through Nest's error handler.
 */
export function acceptJsonBodies(fastify: FastifyInstance, limits: BodyLimits): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', async (request: FastifyRequest, payload: IncomingMessage) => {
    const raw = await readBody(payload, request.headers, limits.bytes);
    return parseJsonBody(
      raw,
      { contentType: request.headers['content-type'], contentEncoding: request.headers['content-encoding'] },
      limits,
    );
  });
  // The query string is the other object a DTO whitelist looks keys up in (class-validator finds `toString` on
  // its metadata map): the same prototype names are refused there too, before the body is read, as before.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    try {
      checkQueryKeys(request.query);
      done(null, payload);
    } catch (error) {
      done(error as Error);
    }
  });
}

function readBody(payload: Readable, headers: IncomingHttpHeaders, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(headers['content-length'] ?? 0) > max) {
      payload.resume();
      reject(tooLarge(max));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (done) return;
      done = true;
      if (error) {
        // Drain the rest so the connection can answer; nothing more is kept.
        payload.removeAllListeners('data');
        payload.resume();
        reject(error);
      } else resolve(body!);
    };
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) finish(tooLarge(max));
      else chunks.push(chunk);
    });
    payload.on('error', (error) => finish(bad(`body could not be read: ${error.message}`)));
    payload.on('end', () => finish(null, Buffer.concat(chunks)));
  });
}
