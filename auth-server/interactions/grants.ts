import type { Configuration, Grant, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Knex } from '../../platform/db/knex.js';
import { latestGrantId } from './account-grants.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the consent prompt says is missing from the grant (oidc-provider's prompt details). */
interface MissingGrants {
  readonly missingOIDCScope?: readonly string[];
  readonly missingOIDCClaims?: readonly string[];
  readonly missingResourceScopes?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Grants what the consent prompt asked for: the interaction's grant (or a new one) gets the
 * missing OpenID scopes and claims and the missing scopes of each resource. Returns its id.
 */
export async function grantConsent(
  provider: Provider,
  interaction: Interaction,
  accountId: string,
): Promise<string> {
  const clientId = String(interaction.params['client_id']);
  const existing =
    interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const missing = interaction.prompt.details as MissingGrants;
  if (missing.missingOIDCScope?.length) {
    grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  }
  if (missing.missingOIDCClaims?.length) {
    grant.addOIDCClaims([...missing.missingOIDCClaims]);
  }
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  return grant.save();
}

/** Whether a client is one of ours (client metadata `first_party: true`): it needs no consent. */
export function isFirstParty(client: { readonly [key: string]: unknown } | undefined): boolean {
  return client?.['first_party'] === true;
}

/**
 * oidc-provider's loadExistingGrant: the grant the interaction or this session already holds
 * for the client, else the account's newest grant to it from any session, so a user who
 * consented once is not asked again for the same scopes after signing in anew.
 */
export function loadExistingGrant(db: Knex): NonNullable<Configuration['loadExistingGrant']> {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const accountId = oidc.session?.accountId;
    if (clientId === undefined || accountId === undefined) {
      return undefined;
    }
    const known = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
    const grantId = known ?? (await latestGrantId(db, accountId, clientId));
    const grant = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
    // A grant of someone else's (the session changed hands) is never reused.
    return grant?.accountId === accountId && grant.clientId === clientId ? grant : undefined;
  };
}
