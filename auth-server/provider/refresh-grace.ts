import { Provider } from 'oidc-provider';

/**
 * The grace window of rotated refresh tokens. oidc-provider rotates a refresh token on every
 * use and treats a second use of the rotated one as theft: it revokes the whole grant. A
 * legitimate app that refreshes from two tabs at once, or that lost the answer to a refresh
 * (a timeout, a crash on either side), would log its user out. So for `windowMs` after its
 * first use, a rotated token presented again at the token endpoint is treated as unused: the
 * refresh succeeds with a fresh token pair and every token issued from it stays valid. After the
 * window the library's rule applies and the replay revokes the grant.
 *
 * Only the client the token was issued to can use it (oidc-provider checks the client before it
 * looks at consumption), and introspection and revocation always see a rotated token as used.
 */
export interface RefreshGrace {
  /** True when a refresh token consumed at `consumedAtMs` may be exchanged again now. */
  forgives(consumedAtMs: number): boolean;
}

export function refreshGrace(windowSeconds: number, now = () => Date.now()): RefreshGrace {
  const windowMs = windowSeconds * 1000;
  return {
    forgives(consumedAtMs) {
      return windowMs > 0 && now() - consumedAtMs < windowMs && isRefreshGrant();
    },
  };
}

/** The request being handled, known through oidc-provider's async-local context. */
function isRefreshGrant(): boolean {
  const ctx = Provider.ctx;
  return ctx?.oidc?.route === 'token' && ctx.oidc.params?.['grant_type'] === 'refresh_token';
}
