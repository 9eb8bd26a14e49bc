import type { RouterContext } from '@koa/router';
import { caller } from '../../platform/auth/bearer.js';
import { input } from '../../platform/middleware/validate.js';
import { presentFollowPage, presentUser } from './present.js';
import { routeInput } from './schemas.js';
import type { PasswordCheckJson } from './schemas.js';
import type { Users } from './users.js';
import type { FollowDirection } from './repository.js';

/** A route's last step: reads the validated input, calls one use case, presents the result. */
export type Handler = (ctx: RouterContext) => Promise<void>;

/** The users service's handlers over its use cases; each is a few lines, errors are thrown. */
export function usersHandlers(users: Users) {
  const followList =
    (direction: FollowDirection): Handler =>
    async (ctx) => {
      const { params, query } = input(ctx, routeInput.followList);
      const page = await users.followList(params.id, direction, {
        limit: query.limit,
        after: query.cursor,
      });
      ctx.body = presentFollowPage(page);
    };
  return {
    createUser: async (ctx) => {
      const { body } = input(ctx, routeInput.createUser);
      const user = await users.create(body);
      ctx.status = 201;
      ctx.body = presentUser(user);
    },
    getUser: async (ctx) => {
      const { params } = input(ctx, routeInput.userById);
      ctx.body = presentUser(await users.get(params.id));
    },
    getUserByHandle: async (ctx) => {
      const { params } = input(ctx, routeInput.userByHandle);
      ctx.body = presentUser(await users.getByHandle(params.handle));
    },
    getMe: async (ctx) => {
      ctx.body = presentUser(await users.me(caller(ctx).sub));
    },
    follow: async (ctx) => {
      const { params } = input(ctx, routeInput.followTarget);
      await users.follow(caller(ctx).sub, params.userId);
      ctx.status = 204;
    },
    unfollow: async (ctx) => {
      const { params } = input(ctx, routeInput.followTarget);
      await users.unfollow(caller(ctx).sub, params.userId);
      ctx.status = 204;
    },
    listFollowing: followList('following'),
    listFollowers: followList('followers'),
    followingIds: async (ctx) => {
      const { params } = input(ctx, routeInput.followingIds);
      ctx.body = { ids: await users.followingIds(params.id) };
    },
    batch: async (ctx) => {
      const { body } = input(ctx, routeInput.batch);
      ctx.body = { items: (await users.batch(body.ids)).map(presentUser) };
    },
    checkPassword: async (ctx) => {
      const { body } = input(ctx, routeInput.passwordCheck);
      const user = await users.checkPassword(body.handle, body.password);
      const result: PasswordCheckJson =
        user === undefined ? { valid: false } : { valid: true, user: presentUser(user) };
      // The answer is about a credential: no cache may keep it.
      ctx.set('Cache-Control', 'no-store');
      ctx.body = result;
    },
  } satisfies Record<string, Handler>;
}
