import { ProblemError } from '../../platform/errors.js';
import type { RegisterBody } from './schemas.js';
import type { InstanceRecord, RegistryStore } from './stores/store.js';

/** The registry's use cases: who may change which instance, and for how long it lives. */
export interface Instances {
  /** Registers or refreshes; `created` is false for a refresh of the same instance id. */
  register(
    owner: string,
    name: string,
    instanceId: string,
    body: RegisterBody,
  ): Promise<{ instance: InstanceRecord; created: boolean }>;
  heartbeat(owner: string, name: string, instanceId: string): Promise<InstanceRecord>;
  /** Idempotent: deregistering an instance that is gone succeeds. */
  deregister(owner: string, name: string, instanceId: string): Promise<void>;
  list(name: string): Promise<InstanceRecord[]>;
}

/**
 * Ownership rule: the client that registered an instance id owns it until it expires or is
 * deregistered; any other client gets 403 for it, so one service's credentials cannot hijack or
 * remove another's instances.
 */
export function createInstances(store: RegistryStore, ttlMs: number): Instances {
  const owned = async (owner: string, name: string, instanceId: string) => {
    const existing = await store.get(name, instanceId);
    if (existing !== undefined && existing.owner !== owner) {
      throw notYours(name, instanceId);
    }
    return existing;
  };
  return {
    async register(owner, name, instanceId, body) {
      const existing = await owned(owner, name, instanceId);
      const instance = await store.put(
        {
          name,
          instanceId,
          baseUrl: body.baseUrl.replace(/\/+$/, ''),
          healthUrl: body.healthUrl,
          version: body.version,
          openapiUrl: body.openapiUrl,
          owner,
          registeredAt: existing?.registeredAt ?? Date.now(),
        },
        ttlMs,
      );
      return { instance, created: existing === undefined };
    },
    async heartbeat(owner, name, instanceId) {
      const existing = await owned(owner, name, instanceId);
      const touched = existing && (await store.touch(name, instanceId, ttlMs));
      if (touched === undefined) {
        // The agent registers again on this answer.
        throw ProblemError.notFound(`No live instance ${instanceId} of ${name}; register again.`);
      }
      return touched;
    },
    async deregister(owner, name, instanceId) {
      if ((await owned(owner, name, instanceId)) !== undefined) {
        await store.remove(name, instanceId);
      }
    },
    list: (name) => store.list(name),
  };
}

function notYours(name: string, instanceId: string): ProblemError {
  return new ProblemError({
    status: 403,
    title: 'Forbidden',
    detail: `Instance ${instanceId} of ${name} was registered by another client.`,
  });
}
