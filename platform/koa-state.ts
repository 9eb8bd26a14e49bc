import type { Logger } from 'pino';

/** What the standard stack puts on every request's `ctx.state`. */
declare module 'koa' {
  interface DefaultState {
    requestId: string;
    traceparent: string;
    log: Logger;
  }
}
