import type { Context } from 'koa';
import type { CookiesSetOptions, Provider } from 'oidc-provider';

/** How the provider keeps its session: the long cookie's options and the session's lifetime. */
export interface SessionSettings {
  readonly cookie: Readonly<CookiesSetOptions>;
  readonly ttlSeconds: number;
}

/**
 * The account signed in to this browser's oidc-provider session, read with the provider's own
 * Session model (which verifies the signed session cookie), or undefined.
 */
export async function signedInAccount(
  ctx: Context,
  provider: Provider,
): Promise<string | undefined> {
  const session = await provider.Session.get(ctx);
  return session.accountId;
}

/**
 * Signs `accountId` in to a provider session from the account pages, as the provider's login
 * step would: the session gets a fresh id (no fixation), is saved with the provider's session
 * lifetime, and its cookie is set with the provider's own options and keys. Apps then find the
 * person signed in.
 */
export async function startSession(
  ctx: Context,
  provider: Provider,
  accountId: string,
  settings: SessionSettings,
  secure: boolean,
): Promise<void> {
  const session = await provider.Session.get(ctx);
  if (session.accountId !== undefined && session.accountId !== accountId) {
    // Someone else's session in this browser: their app authorizations must not carry over.
    session.authorizations = {};
  }
  session.resetIdentifier();
  session.loginAccount({ accountId });
  await session.save(settings.ttlSeconds);
  const cookies = provider.createContext(ctx.req, ctx.res).cookies;
  cookies.secure = secure;
  cookies.set(provider.cookieName('session'), session.jti, {
    ...settings.cookie,
    secure,
    maxAge: settings.ttlSeconds * 1000,
  });
}
