import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider keeps `offline_access` only when the authorization request carries
 * `prompt=consent` (OpenID Connect Core 11), and drops it silently otherwise. OAuth 2.0 apps and
 * their libraries (AppAuth, oauth4webapi, passport) ask for `offline_access` without any prompt
 * and expect a refresh token. So an authorization request (GET) asking for `offline_access`
 * without `prompt` is treated as asking for `prompt=consent`: the user sees the consent page, and
 * refresh tokens are issued only with the user's consent. A request with another prompt (e.g.
 * `prompt=login`) keeps the OpenID rule and loses `offline_access`.
 *
 * The added prompt is marked with {@link IMPLIED_CONSENT_PARAM}: consent the user already gave
 * for every scope asked then counts (OIDC Core 11 allows "other conditions ... permitting offline
 * access"), so a remembered consent is not asked again just because the app wants a refresh token.
 */
/** Authorization parameter marking a `prompt=consent` this middleware added, not the app. */
export const IMPLIED_CONSENT_PARAM = 'chirp_implied_consent';

export function offlineAccessAsksConsent(authorizationPath: string) {
  return async function offlineAccessConsent(
    ctx: KoaContextWithOIDC,
    next: () => Promise<void>,
  ): Promise<void> {
    if (ctx.method === 'GET' && ctx.path === authorizationPath) {
      const { scope, prompt } = ctx.query;
      if (typeof scope === 'string' && prompt === undefined && asksOffline(scope)) {
        ctx.query = { ...ctx.query, prompt: 'consent', [IMPLIED_CONSENT_PARAM]: '1' };
      }
    }
    await next();
  };
}

function asksOffline(scope: string): boolean {
  return scope.split(' ').includes('offline_access');
}
