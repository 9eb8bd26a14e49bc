import Router from '@koa/router';
import { bearer, requireScope, userTokenOnly } from '../../platform/auth/bearer.js';
import type { AccessTokenVerifier } from '../../platform/auth/verify-access-token.js';
import { idempotencyKey } from '../../platform/middleware/idempotency-key.js';
import { jsonBody } from '../../platform/middleware/json-body.js';
import { validate } from '../../platform/middleware/validate.js';
import type { Handlers } from './handlers.js';
import { CreateTweet, ListTweets, TIMELINE_BODY_LIMIT_BYTES, Timeline } from './schemas.js';

/**
 * The route table: one line per route, each a pipeline of named steps. /internal/ routes are
 * for other services; the gateway never routes them.
 */
export function tweetsRouter(verifier: AccessTokenVerifier, h: Handlers): Router {
  const auth = bearer(verifier);
  const read = requireScope('tweets:read');
  const write = requireScope('tweets:write');
  const user = userTokenOnly();
  const key = idempotencyKey();
  const body = jsonBody();
  const bigBody = jsonBody({ limitBytes: TIMELINE_BODY_LIMIT_BYTES });
  return new Router()
    .post('/tweets', auth, user, write, key, body, validate(CreateTweet), h.createTweet)
    .get('/tweets', auth, read, validate(ListTweets), h.listTweets)
    .get('/tweets/:id', auth, read, h.getTweet)
    .delete('/tweets/:id', auth, user, write, h.deleteTweet)
    .post('/internal/timelines', auth, read, bigBody, validate(Timeline), h.timeline)
    .get('/openapi.json', h.openApi);
}
