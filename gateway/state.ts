import type { ClientOrigin } from './edge/client-ip.js';
import type { MatchResult } from './route-match.js';
import type { ProblemError } from '../platform/errors.js';
import '../platform/koa-state.js';
import '../platform/auth/bearer.js';

/** What the gateway's steps leave on `ctx.state` for the steps after them. */
declare module 'koa' {
  interface DefaultState {
    /** Epoch ms by which the gateway must have answered (CHIRP_GATEWAY_REQUEST_TIMEOUT_MS). */
    deadline?: number;
    /** The client's IP, as far as trusted proxies vouch for it. */
    clientOrigin?: ClientOrigin;
    /** The route table's verdict on this request. */
    routeMatch?: MatchResult;
    /** Why the edge refused the request's token (or its lack of one), thrown after limiting. */
    edgeRefusal?: ProblemError;
    /** The request body, read in full (within the limit) before it is forwarded. */
    requestBody?: Buffer;
  }
}
