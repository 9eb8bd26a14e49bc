import type { Context, Middleware } from 'koa';
import { copyResponseHeaders, upstreamRequestHeaders } from './edge/headers.js';
import type { ServiceName } from './routes.js';
import { isUpstreamFailure, problemFor } from './upstream/errors.js';
import type { UpstreamRequest, UpstreamResponse, Upstreams } from './upstream/client.js';
import './state.js';

/** Methods that can be repeated without doing the work twice (RFC 9110 9.2.2). */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

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
    const res = await sendOrProblem(upstreams, service, forwardedRequest(ctx), retryAfterSeconds);
    copyResponseHeaders(ctx, res.headers);
    ctx.status = res.status;
    if (res.body.length > 0) {
      ctx.body = res.body;
    }
  };
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
