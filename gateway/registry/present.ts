import type { InstanceRecord } from './stores/store.js';

/** An instance as the registry's API shows it; the owning client id stays inside. */
export function presentInstance(r: InstanceRecord) {
  return {
    name: r.name,
    instanceId: r.instanceId,
    baseUrl: r.baseUrl,
    healthUrl: r.healthUrl,
    version: r.version,
    ...(r.openapiUrl === undefined ? {} : { openapiUrl: r.openapiUrl }),
    registeredAt: new Date(r.registeredAt).toISOString(),
    expiresAt: new Date(r.expiresAt).toISOString(),
  };
}
