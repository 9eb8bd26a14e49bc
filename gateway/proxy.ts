import type { Context, Middleware } from 'koa';
import { copyResponseHeaders, upstreamRequestHeaders } from './edge/headers.js';
import type { ServiceName } from './routes.js';
import { isUpstreamFailure, problemFor } from './upstream/errors.js';
import type { UpstreamRequest, UpstreamResponse, Upstreams } from './upstream/client.js';
import './state.js';

/** Methods that can be repeated without doing the work twice (RFC 9110 9.2.2). */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Answers up to this size are written together with their headers (see writeAnswer). */
const ONE_WRITE_MAX_BYTES = 16 * 1024;

/**
 * Forwards the matched request to its service and writes the service's answer as it came
 * (status, body, end-to-end headers). The body is buffered, not streamed: answers are small
 * JSON, and a buffer costs far less than Koa's stream pipeline per request.
 */
export function proxy(
  upstreams: Upstreams,
  service: ServiceName,
  retryAfterSeconds: number,
): Middleware {
  return async function proxyMiddleware(ctx) {
    const answer = await sendOrProblem(
      upstreams,
      service,
      forwardedRequest(ctx),
      retryAfterSeconds,
    );
    writeAnswer(ctx, answer);
  };
}

/**
 * Writes the answer to Node's response itself (`ctx.respond = false`): a proxy relays the
 * service's status, headers and bytes as they are, so Koa's respond step (type and length
 * guessing, a status text for an empty body) is work without a purpose here. The access log
 * reads the status from `res.statusCode` for responses Koa does not write; headers earlier
 * steps set on the response (X-Request-Id, RateLimit-*, CORS) go out with it.
 */
function writeAnswer(ctx: Context, answer: UpstreamResponse): void {
  ctx.respond = false;
  const res = ctx.res;
  res.statusCode = answer.status;
  copyResponseHeaders(res, answer.headers, ctx.method === 'HEAD');
  const body = answer.body;
  if (body.length <= ONE_WRITE_MAX_BYTES) {
    // As a latin1 string (a byte for a byte), Node sends the body in one write with the
    // header block; a Buffer goes out as a second chunk of a corked writev, which cost more.
    res.end(body.toString('latin1'), 'latin1');
    return;
  }
  res.end(body);
}

/** Sends, turning an upstream failure into the 502/503/504 problem the client sees. */
export async function sendOrProblem(
  upstreams: Upstreams,
  service: ServiceName,
  req: UpstreamRequest,
  retryAfterSeconds: number,
): Promise<UpstreamResponse> {
  try {
    return await upstreams.send(service, req);
  } catch (e) {
    throw isUpstreamFailure(e) ? problemFor(e, retryAfterSeconds) : e;
  }
}

/** The request as it goes upstream: the checked path, the client's query, filtered headers. */
function forwardedRequest(ctx: Context): UpstreamRequest {
  const match = ctx.state.routeMatch;
  if (match?.ok !== true || ctx.state.clientOrigin === undefined) {
    throw new Error('proxy: no route or client origin on this request');
  }
  const headers = upstreamRequestHeaders(ctx, ctx.state.clientOrigin);
  const body = ctx.state.requestBody;
  if (body !== undefined) {
    headers['content-length'] = String(body.length);
  }
  const query = ctx.querystring;
  return {
    method: ctx.method,
    path: query === '' ? match.match.upstreamPath : `${match.match.upstreamPath}?${query}`,
    headers,
    body,
    idempotent: IDEMPOTENT.has(ctx.method) || headers['idempotency-key'] !== undefined,
    deadline: ctx.state.deadline ?? Date.now() + 30_000,
  };
}
