import type { Configuration, ErrorOut, KoaContextWithOIDC } from 'oidc-provider';
import type { Knex } from '../../platform/db/knex.js';
import { loadExistingGrant } from './grants.js';
import { sendPage } from './pages.js';
import { logoutPage } from './views/logout.js';
import { messagePage } from './views/message.js';

/** What the end-user half of the provider configuration needs. */
export interface EndUserProviderOptions {
  readonly issuer: string;
  /** The provider's storage, where grants of an account are looked up. */
  readonly db: Knex;
}

/**
 * The end-user half of the oidc-provider configuration: our interaction pages, our rendering of
 * the provider's own pages (errors, logout) with the same headers, and grant reuse. Passed to
 * createProviderHost as `configure`, so the protocol half in configuration.ts stays apart.
 */
export function endUserConfiguration(
  options: EndUserProviderOptions,
): (base: Configuration) => Configuration {
  const { issuer } = options;
  return (base) => ({
    ...base,
    interactions: {
      ...base.interactions,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: (ctx, out) => renderError(ctx, out, issuer),
    // The ID token carries the profile claims the user consented to: apps get access tokens for
    // one API each (resource indicators), never one for userinfo, so it is their only source.
    conformIdTokenClaims: false,
    // What findAccount (account.ts) releases for each scope.
    claims: { ...base.claims, openid: ['sub'], profile: ['preferred_username', 'name'] },
    loadExistingGrant: loadExistingGrant(options.db),
    features: {
      ...base.features,
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx) => renderLogout(ctx, issuer),
        postLogoutSuccessSource: (ctx) => renderLogoutDone(ctx, issuer),
      },
    },
  });
}

/**
 * The provider's error page (a bad authorization request, an expired resume). The description
 * is the provider's own, written for developers but safe to show; a server error says nothing.
 */
function renderError(ctx: KoaContextWithOIDC, out: ErrorOut, issuer: string): void {
  const serverError = out.error === 'server_error' || ctx.status >= 500;
  const message = serverError
    ? 'Something went wrong on our side. Go back to the app and try again.'
    : `The app sent a request Chirp cannot accept (${out.error}${out.error_description ? `: ${out.error_description}` : ''}). Go back to the app and try again.`;
  sendPage(ctx, issuer, messagePage('Sign-in could not continue', message), {
    status: ctx.status >= 400 ? ctx.status : 400,
  });
}

/** The logout confirmation, with oidc-provider's own anti-forgery value. */
function renderLogout(ctx: KoaContextWithOIDC, issuer: string): void {
  const state = ctx.oidc.session?.state as { secret?: unknown } | undefined;
  const client = ctx.oidc.client;
  const postLogout = ctx.oidc.params?.['post_logout_redirect_uri'];
  const page = logoutPage({
    action: ctx.oidc.urlFor('end_session_confirm'),
    xsrf: typeof state?.secret === 'string' ? state.secret : '',
    appName: client === undefined ? undefined : (client.clientName ?? client.clientId),
  });
  // The confirmation redirects to the app's post-logout URI: form-action must allow it.
  sendPage(ctx, issuer, page, {
    formTargets: typeof postLogout === 'string' ? [postLogout] : [],
  });
}

function renderLogoutDone(ctx: KoaContextWithOIDC, issuer: string): void {
  const client = ctx.oidc.client;
  const message =
    client === undefined
      ? 'You are signed out of Chirp.'
      : `You are signed out of ${client.clientName ?? client.clientId}.`;
  sendPage(ctx, issuer, messagePage('You are signed out', message));
}
