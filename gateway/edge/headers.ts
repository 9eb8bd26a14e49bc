import type { Context } from 'koa';
import type { ClientOrigin } from './client-ip.js';
import '../../platform/koa-state.js';

/**
 * The only client request headers a service sees: what the API reads, plus content
 * negotiation and conditionals. An allow-list, so hop-by-hop headers (RFC 9110 7.6.1) and every
 * header a service might trust from the gateway (X-Forwarded-*, Forwarded, X-Real-IP, identity
 * headers, X-Request-Id, traceparent) are dropped however they are spelt, then set by us.
 */
const FORWARDED_REQUEST_HEADERS: readonly string[] = [
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
];

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

const HOST = /^[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?$/;

/** The headers sent to a service for this request (body headers added by the caller). */
export function upstreamRequestHeaders(ctx: Context, origin: ClientOrigin): Record<string, string> {
  const headers: Record<string, string> = {};
  const distinct = ctx.req.headersDistinct;
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const values = distinct[name];
    if (values !== undefined) {
      // A repeated header goes on as one comma-joined value, and the service refuses what it
      // must not take twice (Idempotency-Key).
      headers[name] = values.join(', ');
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

/** Copies an upstream answer's headers onto the response, without hop-by-hop ones. */
export function copyResponseHeaders(
  ctx: Context,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): void {
  const named = connectionTokens(headers['connection']);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name) || named.has(name)) {
      continue;
    }
    // Koa computes Content-Length from the buffered body; a HEAD answer keeps the service's.
    if (name === 'content-length' && ctx.method !== 'HEAD') {
      continue;
    }
    ctx.set(name, value);
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

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    joined
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}
