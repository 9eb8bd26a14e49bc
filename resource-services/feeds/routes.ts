import Router from '@koa/router';
import { bearer, requireScope, userTokenOnly } from '../../platform/auth/bearer.js';
import type { AccessTokenVerifier } from '../../platform/auth/verify-access-token.js';
import { validate } from '../../platform/middleware/validate.js';
import type { FeedsHandlers } from './handlers.js';
import { routeInput as input } from './schemas.js';

/** The feeds service's route table, one line per route. */
export function feedsRouter(verifier: AccessTokenVerifier, h: FeedsHandlers): Router {
  const auth = bearer(verifier);
  const user = userTokenOnly();
  return new Router()
    .get('/openapi.json', h.openApi)
    .get('/feeds/home', auth, user, requireScope('feeds:read'), validate(input.home), h.home);
}
