/** The APIs tokens are issued for (RFC 8707 resource indicators) and the scopes each defines. */
export const resources = {
  'urn:chirp:users': ['users:read', 'users:write', 'users:admin', 'users:credentials'],
  'urn:chirp:tweets': ['tweets:read', 'tweets:write'],
  'urn:chirp:feeds': ['feeds:read'],
  // The service registry on the gateway's internal port: components register (write) and
  // resolve (read) with client_credentials tokens; never a user-delegated scope.
  'urn:chirp:registry': ['registry:read', 'registry:write'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

export type ResourceId = keyof typeof resources;
export type ServiceScope = (typeof resources)[ResourceId][number];

export const resourceIds = Object.keys(resources) as ResourceId[];
export const serviceScopes: readonly ServiceScope[] = resourceIds.flatMap((r) => resources[r]);

export function isResourceId(value: string): value is ResourceId {
  return Object.hasOwn(resources, value);
}

/** The resource that defines a scope, or undefined for OpenID and unknown scopes. */
export function resourceOfScope(scope: string): ResourceId | undefined {
  return resourceIds.find((r) => (resources[r] as readonly string[]).includes(scope));
}
