import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { Logger } from '../../platform/observability/logger.js';
import { ACCOUNT_PATHS, accountHandlers } from './account-handlers.js';
import type { AccountDeps } from './account-handlers.js';
import { interactionHandlers } from './interaction-handlers.js';
import { isPageError } from './page-error.js';
import { sendPage } from './pages.js';
import { STYLESHEET_PATH } from './views/layout.js';
import { messagePage } from './views/message.js';

/** What the end-user pages need; see the handlers' own deps. */
export type EndUserDeps = AccountDeps;

const STYLESHEET = readFileSync(new URL('./static/chirp.css', import.meta.url));

/**
 * The human-facing routes of the authorization server, mounted before oidc-provider: the
 * interaction pages (sign-in, sign-up, consent, cancel), the account pages (connected apps),
 * and the stylesheet. Every route renders its errors as a page (never JSON, never a 500 page
 * that says more than "something went wrong").
 */
export function endUserRouter(deps: EndUserDeps): Router {
  const i = interactionHandlers(deps);
  const a = accountHandlers(deps);
  const page = pageErrors(deps.issuer, deps.logger);
  // prettier-ignore
  return new Router()
    .get(STYLESHEET_PATH, stylesheet)
    .get('/interaction/:uid', page, i.show)
    .post('/interaction/:uid/login', page, i.login)
    .get('/interaction/:uid/signup', page, i.showSignup)
    .post('/interaction/:uid/signup', page, i.signup)
    .post('/interaction/:uid/consent', page, i.consent)
    .post('/interaction/:uid/abort', page, i.abort)
    .get(ACCOUNT_PATHS.apps, page, a.apps)
    .post(ACCOUNT_PATHS.revoke, page, a.revoke)
    .get(ACCOUNT_PATHS.login, page, a.showLogin)
    .post(ACCOUNT_PATHS.login, page, a.login);
}

function stylesheet(ctx: Context): void {
  ctx.type = 'text/css; charset=utf-8';
  ctx.set('Cache-Control', 'public, max-age=3600');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = STYLESHEET;
}

/** Renders a thrown PageError as its page, and anything else as a plain 500 page (logged). */
function pageErrors(issuer: string, logger: Logger): Middleware {
  return async function renderPageErrors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (e) {
      if (isPageError(e)) {
        sendPage(ctx, issuer, messagePage(e.title, e.message), {
          status: e.status,
          headers: e.headers,
        });
        return;
      }
      logger.error({ err: e, requestId: ctx.state.requestId }, 'page failed');
      const message = 'Something went wrong on our side. Go back to the app and try again.';
      sendPage(ctx, issuer, messagePage('Something went wrong', message), { status: 500 });
    }
  };
}
