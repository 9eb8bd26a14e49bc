import { THIRD_PARTY_POLICY } from '../provider/registration-policy.js';
import { AdminError } from './errors.js';
import type { AdminContext } from './context.js';

/** An hour: long enough to paste into a registration, short enough not to linger. */
export const IAT_DEFAULT_EXPIRES_IN_SECONDS = 3600;
export const IAT_MIN_EXPIRES_IN_SECONDS = 60;
/** A week at most: an unused token is a standing permission to register an app. */
export const IAT_MAX_EXPIRES_IN_SECONDS = 7 * 24 * 3600;

export interface InitialAccessTokenView {
  readonly token: string;
  /** ISO 8601 UTC. */
  readonly expires_at: string;
}

/**
 * Creates an initial access token for one dynamic client registration (RFC 7591). The token
 * carries the third-party registration policy, which also spends it on its first successful use.
 */
export async function initialAccessTokenCreate(
  ctx: AdminContext,
  expiresInSeconds: number = IAT_DEFAULT_EXPIRES_IN_SECONDS,
): Promise<InitialAccessTokenView> {
  if (
    !Number.isSafeInteger(expiresInSeconds) ||
    expiresInSeconds < IAT_MIN_EXPIRES_IN_SECONDS ||
    expiresInSeconds > IAT_MAX_EXPIRES_IN_SECONDS
  ) {
    throw new AdminError(
      `--expires-in must be whole seconds from ${IAT_MIN_EXPIRES_IN_SECONDS} to ${IAT_MAX_EXPIRES_IN_SECONDS}`,
    );
  }
  const iat = new ctx.provider.InitialAccessToken({
    expiresIn: expiresInSeconds,
    policies: [THIRD_PARTY_POLICY],
  });
  const token = await iat.save();
  // The stored expiry, as the provider will enforce it.
  const saved = await ctx.provider.InitialAccessToken.find(token);
  if (saved?.exp === undefined) {
    throw new AdminError('the initial access token was not stored');
  }
  return { token, expires_at: new Date(saved.exp * 1000).toISOString() };
}
