import type { IncomingMessage } from 'node:http';
import { readBodyAtMost } from '../http/read-body.js';
import type { Middleware } from 'koa';
import { ProblemError } from '../errors.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON request body; set by {@link jsonBody} on the routes that take a body. */
    body?: unknown;
  }
}

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /** Largest body accepted, in bytes. Default {@link DEFAULT_BODY_LIMIT_BYTES}. */
  readonly limitBytes?: number;
}

/** DESIGN.md "Resource APIs": request bodies are at most 64 KiB of JSON. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Reads a JSON request body into `ctx.request.body`, for the routes that take one.
 *
 * - 415 unless Content-Type is `application/json` or `application/*+json` (charset UTF-8 only)
 *   and the body is not content-encoded;
 * - 413 for a declared Content-Length over the limit, before a byte is read, and 413 as soon as a
 *   body without one (chunked) passes the limit: no more than the limit is ever kept in memory;
 * - 400 for an empty body, invalid UTF-8 or malformed JSON, or a body cut short.
 *
 * Every refusal is a thrown {@link ProblemError}, rendered by problem-json.ts.
 *
 * @throws TypeError at construction when `limitBytes` is not a non-negative safe integer.
 */
export function jsonBody(options: JsonBodyOptions = {}): Middleware {
  const limit = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TypeError(`jsonBody: limitBytes must be a non-negative integer, got ${limit}`);
  }
  return async function jsonBodyMiddleware(ctx, next) {
    requireJsonContentType(ctx.get('Content-Type'));
    requireIdentityEncoding(ctx.get('Content-Encoding'));
    const declared = declaredLength(ctx.req);
    if (declared !== undefined && declared > limit) {
      throw ProblemError.contentTooLarge(limit);
    }
    ctx.request.body = parseJson(await readAtMost(ctx.req, limit));
    await next();
  };
}

// `application/json` or a structured-syntax `+json` type (RFC 6839), compared lowercased.
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-][a-z0-9!#$&^_.+-]*\+)?json$/;
// fatal: invalid UTF-8 is refused, where the default decoder would slip in U+FFFD.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function requireJsonContentType(header: string): void {
  const [mediaType = '', ...params] = header.split(';');
  const charset = params
    .map((p) => p.split('='))
    .find(([name = '']) => name.trim().toLowerCase() === 'charset')?.[1];
  // JSON is UTF-8 (RFC 8259 §8.1); another declared charset would be decoded wrongly.
  const charsetOk = charset === undefined || /^"?utf-?8"?$/.test(charset.trim().toLowerCase());
  if (JSON_MEDIA_TYPE.test(mediaType.trim().toLowerCase()) && charsetOk) {
    return;
  }
  throw new ProblemError({
    status: 415,
    title: 'Unsupported Media Type',
    detail: 'Content-Type must be application/json (UTF-8).',
  });
}

/** A gzip body would only reach the JSON parser as garbage; RFC 7694 says to answer 415. */
function requireIdentityEncoding(header: string): void {
  const coding = header.trim().toLowerCase();
  if (coding === '' || coding === 'identity') {
    return;
  }
  throw new ProblemError({
    status: 415,
    title: 'Unsupported Media Type',
    detail: 'Content-Encoding is not supported; send the body uncompressed.',
    headers: { 'Accept-Encoding': 'identity' },
  });
}

/** Node's HTTP parser has already refused malformed or conflicting Content-Length headers. */
function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header !== undefined && /^[0-9]+$/.test(header) ? Number(header) : undefined;
}

function malformed(why: string): ProblemError {
  return ProblemError.badRequest(`The request body is malformed JSON: ${why}.`);
}

/** The body, read at most `limit` bytes of it (see readBodyAtMost). */
function readAtMost(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (req.readableEnded) {
    // A programming error (two body readers on one route), so a 500 rather than a client error.
    return Promise.reject(new Error('jsonBody: the request body was already read'));
  }
  return readBodyAtMost(req, limit, {
    tooLarge: () => ProblemError.contentTooLarge(limit),
    cut: () => ProblemError.badRequest('The request body ended before it was complete.'),
  });
}

function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) {
    throw ProblemError.badRequest('The request body is empty; send a JSON value.');
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw malformed('it is not valid UTF-8');
  }
  try {
    const value: unknown = JSON.parse(text);
    return value;
  } catch {
    // The parser's message quotes the body, which may hold a password: it is not echoed.
    throw malformed('it does not parse');
  }
}
