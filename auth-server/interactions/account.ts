import type { Account, AccountClaims, FindAccount } from 'oidc-provider';
import type { Logger } from '../../platform/observability/logger.js';
import type { UsersClient } from './users-client.js';

/**
 * oidc-provider's findAccount: the account id is the users service's user id. Only `sub` is
 * known without asking users, so users is called only when a claim of the `profile` scope is
 * released (ID token or userinfo), for `preferred_username` (the handle) and `name`.
 */
export function findAccountAt(users: UsersClient | undefined, logger: Logger): FindAccount {
  return (ctx, sub) => {
    const account: Account = {
      accountId: sub,
      async claims(_use, scope) {
        const claims: AccountClaims = { sub };
        if (users === undefined || !scope.split(' ').includes('profile')) {
          return claims;
        }
        const requestId = ctx.get('x-request-id') || undefined;
        return { ...claims, ...(await profileClaims(users, sub, requestId, logger)) };
      },
    };
    return account;
  };
}

/**
 * The profile claims, or none when users cannot say: a token without a display name is better
 * than a failed sign-in, and the app can read the profile from users itself later.
 */
async function profileClaims(
  users: UsersClient,
  sub: string,
  requestId: string | undefined,
  logger: Logger,
): Promise<Record<string, string>> {
  try {
    const user = await users.getUser(sub, { requestId });
    return user === undefined ? {} : { preferred_username: user.handle, name: user.displayName };
  } catch (err) {
    logger.warn({ err, sub }, 'profile claims left out: users did not answer');
    return {};
  }
}
