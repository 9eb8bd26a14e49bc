import { errors } from 'oidc-provider';
import type { Client, KoaContextWithOIDC, ResourceServer } from 'oidc-provider';
import { isResourceId, resourceIds, resourceOfScope, resources } from '../../config/resources.js';
import type { ResourceId } from '../../config/resources.js';

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
 * Picks the resource when a client_credentials request names none: the one its scopes belong to,
 * or the client's only allowed resource. Anything else must be asked for explicitly.
 */
export function defaultResource(ctx: KoaContextWithOIDC, client: Client): string | undefined {
  if (ctx.oidc.params?.['grant_type'] !== 'client_credentials') {
    return undefined;
  }
  const fromScopes = new Set([...requestedScopes(ctx)].map(resourceOfScope));
  const [only] = fromScopes;
  if (fromScopes.size === 1 && only !== undefined) {
    return only;
  }
  const allowed = allowedResources(client);
  if (fromScopes.size === 0 && allowed.length === 1) {
    return allowed[0];
  }
  throw new errors.InvalidTarget('the resource parameter is required (RFC 8707)');
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
