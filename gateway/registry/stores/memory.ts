import type { InstanceRecord, NewInstanceRecord, RegistryStore } from './store.js';

/**
 * The embedded store: this gateway's memory. Registrations are soft state (every instance
 * heartbeats every few seconds and registers again on a 404), so a restarted gateway is whole
 * again within one heartbeat; only several gateways need a shared store.
 */
export function createMemoryStore(now: () => number = Date.now): RegistryStore {
  const services = new Map<string, Map<string, InstanceRecord>>();
  const live = (name: string): Map<string, InstanceRecord> => {
    const instances = services.get(name) ?? new Map<string, InstanceRecord>();
    for (const [id, record] of instances) {
      if (record.expiresAt <= now()) {
        instances.delete(id);
      }
    }
    return instances;
  };
  return {
    put(record: NewInstanceRecord, ttlMs) {
      const stored = { ...record, expiresAt: now() + ttlMs };
      const instances = live(record.name);
      instances.set(record.instanceId, stored);
      services.set(record.name, instances);
      return Promise.resolve(stored);
    },
    get(name, instanceId) {
      return Promise.resolve(live(name).get(instanceId));
    },
    touch(name, instanceId, ttlMs) {
      const instances = live(name);
      const record = instances.get(instanceId);
      if (record === undefined) {
        return Promise.resolve(undefined);
      }
      const touched = { ...record, expiresAt: now() + ttlMs };
      instances.set(instanceId, touched);
      return Promise.resolve(touched);
    },
    remove(name, instanceId) {
      return Promise.resolve(live(name).delete(instanceId));
    },
    list(name) {
      const listed = [...live(name).values()].sort(
        (a, b) => a.registeredAt - b.registeredAt || a.instanceId.localeCompare(b.instanceId),
      );
      if (listed.length === 0) {
        services.delete(name);
      }
      return Promise.resolve(listed);
    },
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
