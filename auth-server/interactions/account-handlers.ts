import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Knex } from '../../platform/db/knex.js';
import { grantsOfAccount } from './account-grants.js';
import type { StoredGrant } from './account-grants.js';
import { signedInAccount, startSession } from './account-session.js';
import type { SessionSettings } from './account-session.js';
import { CSRF_FIELD } from './csrf.js';
import type { Csrf } from './csrf.js';
import { readForm } from './form-body.js';
import { isFirstParty } from './grants.js';
import { PageError } from './page-error.js';
import { sendPage } from './pages.js';
import { signIn } from './sign-in.js';
import type { SignInDeps, SignInRefusal } from './sign-in.js';
import { accountLoginPage, appsPage } from './views/apps.js';
import type { ConnectedApp } from './views/apps.js';

/** Where the account pages live. */
export const ACCOUNT_PATHS = {
  apps: '/account/apps',
  revoke: '/account/apps/revoke',
  login: '/account/login',
} as const;

/** What the account pages need. */
export interface AccountDeps extends SignInDeps {
  readonly issuer: string;
  readonly provider: () => Provider;
  readonly csrf: Csrf;
  readonly db: Knex;
  readonly accessTokenTtlSeconds: number;
  /** The provider's session cookie settings, known once the provider is configured. */
  readonly session: () => SessionSettings;
}

const LOGIN_PURPOSE = 'account-login';

/** The connected-apps page, its revoke form, and the sign-in that leads to them. */
export function accountHandlers(deps: AccountDeps) {
  const showLogin = (ctx: Context, refusal?: SignInRefusal, handle?: string) => {
    const page = accountLoginPage({
      action: ACCOUNT_PATHS.login,
      csrf: deps.csrf.issue(ctx, LOGIN_PURPOSE),
      handle,
      error: refusal?.message,
    });
    sendPage(ctx, deps.issuer, page, { status: refusal?.status, headers: refusal?.headers });
  };

  return {
    apps: async (ctx: Context) => {
      const accountId = await signedInAccount(ctx, deps.provider());
      if (accountId === undefined) {
        ctx.status = 303;
        ctx.redirect(ACCOUNT_PATHS.login);
        return;
      }
      const page = appsPage({
        apps: await connectedApps(deps, accountId),
        csrf: deps.csrf.issue(ctx, `account:${accountId}`),
        revokeAction: ACCOUNT_PATHS.revoke,
        accessTokenMinutes: Math.ceil(deps.accessTokenTtlSeconds / 60),
        notice: ctx.query['disconnected'] === '1' ? 'The app was disconnected.' : undefined,
      });
      sendPage(ctx, deps.issuer, page);
    },

    revoke: async (ctx: Context) => {
      const accountId = await signedInAccount(ctx, deps.provider());
      const form = await readForm(ctx.req);
      if (accountId === undefined) {
        ctx.status = 303;
        ctx.redirect(ACCOUNT_PATHS.login);
        return;
      }
      deps.csrf.verify(ctx, `account:${accountId}`, form.get(CSRF_FIELD));
      await revokeGrant(deps.provider(), accountId, form.get('grant') ?? '');
      ctx.status = 303;
      ctx.redirect(`${ACCOUNT_PATHS.apps}?disconnected=1`);
    },

    showLogin: async (ctx: Context) => {
      if ((await signedInAccount(ctx, deps.provider())) !== undefined) {
        ctx.status = 303;
        ctx.redirect(ACCOUNT_PATHS.apps);
        return;
      }
      showLogin(ctx);
    },

    login: async (ctx: Context) => {
      const form = await readForm(ctx.req);
      deps.csrf.verify(ctx, LOGIN_PURPOSE, form.get(CSRF_FIELD));
      const handle = (form.get('handle') ?? '').trim();
      const outcome = await signIn(deps, ctx, handle, form.get('password') ?? '');
      if (!outcome.ok) {
        showLogin(ctx, outcome.refusal, handle);
        return;
      }
      const secure = new URL(deps.issuer).protocol === 'https:';
      await startSession(ctx, deps.provider(), outcome.user.id, deps.session(), secure);
      ctx.status = 303;
      ctx.redirect(ACCOUNT_PATHS.apps);
    },
  };
}

/** Third-party apps holding a grant for the account (our own apps are not "connected"). */
async function connectedApps(deps: AccountDeps, accountId: string): Promise<ConnectedApp[]> {
  const grants = await grantsOfAccount(deps.db, accountId);
  const apps = await Promise.all(grants.map((g) => appOf(deps.provider(), g)));
  return apps.filter((a): a is ConnectedApp => a !== undefined);
}

async function appOf(provider: Provider, grant: StoredGrant): Promise<ConnectedApp | undefined> {
  const client = await provider.Client.find(grant.clientId);
  if (client === undefined || isFirstParty(client)) {
    return undefined;
  }
  return {
    grantId: grant.grantId,
    name: client.clientName ?? client.clientId,
    scope: grant.scope,
    grantedAt: new Date(grant.issuedAt * 1000),
  };
}

/**
 * Ends an app's access: every refresh token, code and stored access token of the grant is
 * revoked at once, then the grant itself, so the next refresh fails with invalid_grant. JWT
 * access tokens are not stored; they run out within their short life.
 */
async function revokeGrant(provider: Provider, accountId: string, grantId: string): Promise<void> {
  const grant = grantId === '' ? undefined : await provider.Grant.find(grantId);
  if (grant?.accountId !== accountId) {
    throw new PageError({
      status: 404,
      title: 'App not found',
      message: 'That app is not connected to your account (it may have been disconnected already).',
    });
  }
  await Promise.all([
    provider.RefreshToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
    provider.AccessToken.revokeByGrantId(grantId),
  ]);
  await grant.destroy();
}
