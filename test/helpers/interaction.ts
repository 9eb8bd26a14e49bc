import { expect } from 'chai';
import type { Provider } from 'oidc-provider';
import { resourceOfScope } from '../../config/resources.js';

/** Who signs in, and what they allow. */
export interface Approval {
  readonly accountId: string;
  /** The scopes the user grants; default: everything the request asked for. */
  readonly scope?: string;
}

/**
 * Completes an authorization request the way the login and consent pages would, without them:
 * GET the authorization URL, find the interaction it redirects to, record a signed-in account
 * and a Grant as the interaction's result, then resume with the same cookies. Resolves to the
 * URL the user agent is sent back to (the client's redirect_uri with code, state and iss, or
 * with an error). A request the provider refuses before any interaction resolves to that
 * redirect as well.
 */
export async function authorizeWithoutPages(
  provider: Provider,
  authorizationUrl: URL,
  approval: Approval,
): Promise<URL> {
  const first = await fetch(authorizationUrl, { redirect: 'manual' });
  const interactionUrl = redirectOf(first, authorizationUrl);
  const uid = /\/interaction\/([^/?#]+)$/.exec(interactionUrl.pathname)?.[1];
  if (uid === undefined) {
    return interactionUrl;
  }
  const interaction = await provider.Interaction.find(uid);
  if (interaction === undefined) {
    throw new Error(`interaction ${uid} not found`);
  }
  const requested = interaction.params['scope'];
  const scope = approval.scope ?? (typeof requested === 'string' ? requested : '');
  const grantId = await saveGrant(provider, approval.accountId, interaction.params, scope);
  interaction.result = { login: { accountId: approval.accountId }, consent: { grantId } };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));

  const resumed = await fetch(new URL(interaction.returnTo, authorizationUrl), {
    redirect: 'manual',
    headers: { cookie: cookiesOf(first) },
  });
  return redirectOf(resumed, authorizationUrl);
}

/**
 * A Grant giving the client each scope. The provider lists service scopes among its static
 * scopes too (so client `scope` metadata may name them), so it asks for them both as OIDC
 * scopes and under their resource, as the consent page grants them.
 */
async function saveGrant(
  provider: Provider,
  accountId: string,
  params: Record<string, unknown>,
  scope: string,
): Promise<string> {
  const grant = new provider.Grant({ accountId, clientId: String(params['client_id']) });
  for (const s of scope.split(' ').filter((x) => x !== '')) {
    grant.addOIDCScope(s);
    const resource = resourceOfScope(s);
    if (resource !== undefined) {
      grant.addResourceScope(resource, s);
    }
  }
  return grant.save();
}

function redirectOf(res: Response, base: URL): URL {
  expect(res.status, `expected a redirect from ${res.url || base.href}`).to.be.oneOf([302, 303]);
  const location = res.headers.get('location');
  expect(location, 'Location header').to.be.a('string');
  return new URL(location ?? '', base);
}

/** The cookies a response set, as a Cookie request header. */
function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .filter((c) => c !== '')
    .join('; ');
}
