import type { RouterContext } from '@koa/router';
import { caller } from '../../platform/auth/bearer.js';
import { input } from '../../platform/middleware/validate.js';
import type { OpenApiDocument } from './openapi.js';
import { CreateTweet, ListTweets, Timeline } from './schemas.js';
import type { Tweets } from './tweets.js';

/** A route's last step: reads the validated input, calls a use case, sets the response. */
export type Handler = (ctx: RouterContext) => Promise<void>;

/** The handlers of every route, bound to the use cases. */
export interface Handlers {
  readonly createTweet: Handler;
  readonly getTweet: Handler;
  readonly deleteTweet: Handler;
  readonly listTweets: Handler;
  readonly timeline: Handler;
  readonly openApi: Handler;
}

/** Builds the handlers; each one stays a few lines because the pipeline did the checks. */
export function createHandlers(tweets: Tweets, document: OpenApiDocument): Handlers {
  return {
    async createTweet(ctx) {
      const { text } = input(ctx, CreateTweet).body;
      const authorId = caller(ctx).sub;
      const result = await tweets.create({
        authorId,
        text,
        idempotencyKey: ctx.state.idempotencyKey,
      });
      ctx.status = result.status;
      ctx.body = result.body;
      ctx.set('Location', `/tweets/${idOf(result.body)}`);
      if (result.replayed) {
        ctx.set('Idempotent-Replayed', 'true');
      }
    },

    async getTweet(ctx) {
      ctx.body = await tweets.get(ctx.params['id'] ?? '');
    },

    async deleteTweet(ctx) {
      await tweets.remove(ctx.params['id'] ?? '', caller(ctx).sub);
      ctx.status = 204;
    },

    async listTweets(ctx) {
      const { author, limit, cursor } = input(ctx, ListTweets).query;
      ctx.body = await tweets.listByAuthor(author, { limit, before: cursor?.before });
    },

    async timeline(ctx) {
      const { authorIds, limit, before } = input(ctx, Timeline).body;
      ctx.body = await tweets.timeline(authorIds, { limit, before });
    },

    openApi(ctx) {
      ctx.body = document;
      return Promise.resolve();
    },
  };
}

/** The id of a tweet response body (a replayed body was stored as one). */
function idOf(body: unknown): string {
  const id = typeof body === 'object' && body !== null && 'id' in body ? body.id : undefined;
  return typeof id === 'string' ? encodeURIComponent(id) : '';
}
