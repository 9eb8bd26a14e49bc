import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ServiceScope } from '../../config/resources.js';
import { bearer, requireScope, userTokenOnly } from '../../platform/auth/bearer.js';
import type { AccessTokenVerifier } from '../../platform/auth/verify-access-token.js';
import { jsonBody } from '../../platform/middleware/json-body.js';
import { validate } from '../../platform/middleware/validate.js';
import { usersHandlers } from './handlers.js';
import type { OpenApiDocument } from './openapi.js';
import { routeInput as input } from './schemas.js';
import type { Users } from './users.js';

/** What the route table needs: the token verifier, the use cases and the served document. */
export interface UsersRoutesDeps {
  readonly verifier: AccessTokenVerifier;
  readonly users: Users;
  readonly openapi: OpenApiDocument;
}

/**
 * The users service's route table, one line per route. Internal routes (/internal/...) sit on
 * the same port: the gateway has no route to them, and their scopes are service-only.
 */
export function usersRouter(deps: UsersRoutesDeps): Router {
  const h = usersHandlers(deps.users);
  const auth = bearer(deps.verifier);
  const scope = (s: ServiceScope) => requireScope(s);
  const user = userTokenOnly();
  const body = jsonBody();
  // prettier-ignore
  return new Router()
    .get('/openapi.json', serveDocument(deps.openapi))
    .post('/users', auth, scope('users:admin'), body, validate(input.createUser), h.createUser)
    .get('/users/by-handle/:handle', auth, scope('users:read'), validate(input.userByHandle), h.getUserByHandle)
    .get('/users/:id', auth, scope('users:read'), validate(input.userById), h.getUser)
    .get('/users/:id/following', auth, scope('users:read'), validate(input.followList), h.listFollowing)
    .get('/users/:id/followers', auth, scope('users:read'), validate(input.followList), h.listFollowers)
    .get('/me', auth, user, scope('users:read'), h.getMe)
    .put('/me/following/:userId', auth, user, scope('users:write'), validate(input.followTarget), h.follow)
    .delete('/me/following/:userId', auth, user, scope('users:write'), validate(input.followTarget), h.unfollow)
    .post('/internal/password-checks', auth, scope('users:credentials'), body, validate(input.passwordCheck), h.checkPassword)
    .get('/internal/users/:id/following-ids', auth, scope('users:read'), validate(input.followingIds), h.followingIds)
    .post('/internal/users/batch', auth, scope('users:read'), body, validate(input.batch), h.batch);
}

/** GET /openapi.json: public, so clients and contract tests can read it without a token. */
function serveDocument(document: OpenApiDocument): Middleware {
  return function openApiDocument(ctx) {
    ctx.body = document;
  };
}
