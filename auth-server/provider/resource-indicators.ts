import { errors } from 'oidc-provider';
import type { Client, KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { isResourceId, resourceIds, resourceOfScope, resources } from '../../config/resources.js';
import type { ResourceId } from '../../config/resources.js';

/** The routes that run an authorization request: the first visit and its resumption. */
const AUTHORIZATION_ROUTES: ReadonlySet<string> = new Set(['authorization', 'resume']);

export interface ResourcePolicy {
  readonly accessTokenTtlSeconds: number;
  /** The kid of the key that signs access tokens now; `next` keys are published but never sign. */
  readonly signingKid: () => string;
}

/** The resources a client may get tokens for: its `resources` metadata, or all when it has none. */
export function allowedResources(client: Client): readonly ResourceId[] {
  const listed = client['resources'];
  return Array.isArray(listed)
    ? listed.filter((r): r is ResourceId => typeof r === 'string' && isResourceId(r))
    : resourceIds;
}

/** The service scopes a client is registered for; a client registered without scopes has none. */
export function registeredScopes(client: Client): ReadonlySet<string> {
  return new Set(client.scope ? client.scope.split(' ') : []);
}

/**
 * oidc-provider's getResourceServerInfo: JWT (RFC 9068) access tokens for one known resource,
 * limited to the scopes the client is registered for. oidc-provider would drop a scope outside
 * that silently; client_credentials callers get `invalid_scope` instead, so they learn at once.
 */
export function resourceServerInfo(policy: ResourcePolicy) {
  return function getResourceServerInfo(
    ctx: KoaContextWithOIDC,
    indicator: string,
    client: Client,
  ): ResourceServer {
    if (!isResourceId(indicator) || !allowedResources(client).includes(indicator)) {
      throw new errors.InvalidTarget(
        `resource ${indicator} is unknown or not allowed for this client`,
      );
    }
    const registered = registeredScopes(client);
    const granted = resources[indicator].filter((s) => registered.has(s));
    if (ctx.oidc.params?.['grant_type'] === 'client_credentials') {
      assertScopesGrantable(requestedScopes(ctx), new Set(granted), indicator);
    }
    return {
      scope: granted.join(' '),
      audience: indicator,
      accessTokenFormat: 'jwt',
      accessTokenTTL: policy.accessTokenTtlSeconds,
      jwt: { sign: { alg: 'ES256', kid: policy.signingKid() } },
    };
  };
}

/**
 * oidc-provider's defaultResource, for requests that name no `resource` (RFC 8707):
 * - client_credentials: the one resource its scopes belong to, or the client's only allowed
 *   resource; anything else must be asked for explicitly.
 * - authorization requests: every resource the requested service scopes belong to, so an app
 *   asking for `tweets:read feeds:read` gets a grant covering both APIs.
 * - authorization_code and refresh_token (`oneOf` is the grant's resources): the only one, or
 *   `invalid_target` asking the client to choose, since an access token has one audience.
 */
export function defaultResource(
  ctx: KoaContextWithOIDC,
  client: Client,
  oneOf?: readonly string[],
): string | string[] | undefined {
  if (oneOf !== undefined) {
    return onlyGrantedResource(oneOf);
  }
  if (ctx.oidc.params?.['grant_type'] === 'client_credentials') {
    return clientCredentialsResource(ctx, client);
  }
  if (AUTHORIZATION_ROUTES.has(ctx.oidc.route)) {
    const fromScopes = resourcesOfScopes(requestedScopes(ctx));
    return fromScopes.length === 0 ? undefined : fromScopes;
  }
  return undefined;
}

function onlyGrantedResource(granted: readonly string[]): string {
  const [only] = granted;
  if (granted.length === 1 && only !== undefined) {
    return only;
  }
  throw new errors.InvalidTarget(
    `this grant covers ${granted.join(', ')}; name one of them with the resource parameter (RFC 8707)`,
  );
}

function clientCredentialsResource(ctx: KoaContextWithOIDC, client: Client): string | undefined {
  const fromScopes = resourcesOfScopes(requestedScopes(ctx));
  const [only] = fromScopes;
  if (fromScopes.length === 1 && only !== undefined) {
    return only;
  }
  const allowed = allowedResources(client);
  if (fromScopes.length === 0 && allowed.length === 1) {
    return allowed[0];
  }
  throw new errors.InvalidTarget('the resource parameter is required (RFC 8707)');
}

function resourcesOfScopes(scopes: ReadonlySet<string>): ResourceId[] {
  return [...new Set([...scopes].map(resourceOfScope).filter((r) => r !== undefined))];
}

function requestedScopes(ctx: KoaContextWithOIDC): Set<string> {
  const raw = ctx.oidc.params?.['scope'];
  return new Set(typeof raw === 'string' && raw !== '' ? raw.split(' ') : []);
}

function assertScopesGrantable(requested: Set<string>, grantable: Set<string>, resource: string) {
  for (const scope of requested) {
    if (!grantable.has(scope)) {
      throw new errors.InvalidScope(
        `scope ${scope} is not defined by ${resource} or not registered for this client`,
        scope,
      );
    }
  }
}
