import type { RouterContext } from '@koa/router';
import { caller } from '../../platform/auth/bearer.js';
import { input } from '../../platform/middleware/validate.js';
import type { OpenApiDocument } from './openapi.js';
import { presentHomePage } from './present.js';
import { routeInput } from './schemas.js';
import type { Timeline } from './timeline.js';

/** A route's last step: reads the validated input, calls the use case, presents the result. */
export type Handler = (ctx: RouterContext) => Promise<void>;

/** What the handlers need. */
export interface HandlerDeps {
  readonly timeline: Timeline;
  /** Milliseconds each request may spend waiting for users and tweets. */
  readonly timeBudgetMs: number;
  readonly openapi: OpenApiDocument;
}

/** The handlers of every route. */
export interface FeedsHandlers {
  readonly home: Handler;
  readonly openApi: Handler;
}

/** The feeds service's handlers; errors are thrown and rendered at the edge. */
export function feedsHandlers(deps: HandlerDeps): FeedsHandlers {
  return {
    home: async (ctx) => {
      const { query } = input(ctx, routeInput.home);
      const page = await deps.timeline.home(
        { userId: caller(ctx).sub, limit: query.limit, before: query.cursor?.before },
        {
          requestId: ctx.state.requestId,
          traceparent: ctx.state.traceparent,
          deadline: Date.now() + deps.timeBudgetMs,
          log: ctx.state.log,
        },
      );
      // One user's timeline: no shared cache may keep it.
      ctx.set('Cache-Control', 'no-store');
      ctx.body = presentHomePage(page);
    },
    openApi: (ctx) => {
      ctx.body = deps.openapi;
      return Promise.resolve();
    },
  };
}
