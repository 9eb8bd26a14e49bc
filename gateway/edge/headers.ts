import type { ServerResponse } from 'node:http';
import type { Context } from 'koa';
import type { ClientOrigin } from './client-ip.js';
import '../../platform/koa-state.js';

/**
 * The only client request headers a service sees: what the API reads, plus content
 * negotiation and conditionals. An allow-list, so hop-by-hop headers (RFC 9110 7.6.1) and every
 * header a service might trust from the gateway (X-Forwarded-*, Forwarded, X-Real-IP, identity
 * headers, X-Request-Id, traceparent) are dropped however they are spelt, then set by us.
 */
const FORWARDED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-language',
  'authorization',
  'cache-control',
  'content-type',
  'idempotency-key',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'user-agent',
]);

/** Upstream answer headers that describe the connection, not the answer, or that we set. */
const DROPPED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'date',
  'x-request-id',
]);

/** A Connection header that names no other header (almost every answer's). */
const PLAIN_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;

const HOST = /^[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?$/;

/** The headers sent to a service for this request (body headers added by the caller). */
export function upstreamRequestHeaders(ctx: Context, origin: ClientOrigin): Record<string, string> {
  const headers: Record<string, string> = {};
  // One pass over the raw list instead of Node's headersDistinct, which builds an array for
  // every header the client sent. A repeated header goes on as one comma-joined value (as
  // headersDistinct joined it), and the service refuses what it must not take twice
  // (Idempotency-Key).
  const raw = ctx.req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (FORWARDED_REQUEST_HEADERS.has(name)) {
      const value = raw[i + 1] ?? '';
      const before = headers[name];
      headers[name] = before === undefined ? value : `${before}, ${value}`;
    }
  }
  headers['x-forwarded-for'] = origin.ip;
  headers['x-forwarded-proto'] = forwardedProto(ctx, origin);
  const host = forwardedHost(ctx, origin);
  if (host !== undefined) {
    headers['x-forwarded-host'] = host;
  }
  headers['x-request-id'] = ctx.state.requestId;
  headers['traceparent'] = ctx.state.traceparent;
  return headers;
}

/**
 * Copies an upstream answer's headers onto Node's response, without hop-by-hop ones. Set with
 * `res.setHeader` directly: what earlier steps set (X-Request-Id, RateLimit-*, CORS) stays, and a
 * header the service also sends replaces ours, as `ctx.set` did. Content-Length is left to Node,
 * which counts the body it is given; only a HEAD answer, which has none, keeps the service's.
 */
export function copyResponseHeaders(
  res: ServerResponse,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  isHead: boolean,
): void {
  const named = connectionTokens(headers['connection']);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name) || named?.has(name) === true) {
      continue;
    }
    if (name === 'content-length' && !isHead) {
      continue;
    }
    res.setHeader(name, value);
  }
}

function forwardedProto(ctx: Context, origin: ClientOrigin): string {
  const own = ctx.protocol === 'https' ? 'https' : 'http';
  if (!origin.viaTrustedProxy) {
    return own;
  }
  const sent = ctx.get('X-Forwarded-Proto').split(',')[0]?.trim().toLowerCase();
  return sent === 'https' || sent === 'http' ? sent : own;
}

function forwardedHost(ctx: Context, origin: ClientOrigin): string | undefined {
  const sent = origin.viaTrustedProxy ? ctx.get('X-Forwarded-Host').split(',')[0]?.trim() : '';
  const host = sent !== undefined && sent !== '' ? sent : ctx.get('Host');
  return HOST.test(host) ? host : undefined;
}

/** Header names a Connection header lists; undefined for the usual bare keep-alive or close. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || PLAIN_CONNECTION.test(value.toString())) {
    return undefined;
  }
  const joined = Array.isArray(value) ? value.join(',') : value;
  return new Set(
    joined
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}
