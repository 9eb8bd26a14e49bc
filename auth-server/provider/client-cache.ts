import type { Adapter, AdapterPayload } from 'oidc-provider';

/** How often an instance asks storage whether any client changed. */
export const CLIENT_CHANGE_CHECK_MS = 1000;
const MAX_ENTRIES = 10_000;

/**
 * Serves found clients from memory: the token endpoint looks its client up on every request,
 * and that lookup (a query plus unsealing the secret) was the largest cost per token. Every
 * client write bumps a counter in storage; at most once a second an instance reads it and drops
 * its cache when it moved, so a client deleted or changed by the CLI or another instance stops
 * working within about a second. Unknown ids are not cached, so a new client works at once.
 */
export function cachingClients(inner: Adapter, readVersion: () => Promise<number>): Adapter {
  const entries = new Map<string, AdapterPayload>();
  let version: number | undefined;
  let checkedAt = 0;
  let checking: Promise<void> | undefined;

  const sync = (): Promise<void> | undefined => {
    if (Date.now() - checkedAt < CLIENT_CHANGE_CHECK_MS) {
      return checking;
    }
    checkedAt = Date.now();
    checking = readVersion().then((v) => {
      if (v !== version) {
        entries.clear();
        version = v;
      }
    });
    return checking;
  };

  return {
    async find(id) {
      await sync();
      const hit = entries.get(id);
      if (hit) {
        return hit;
      }
      const payload = (await inner.find(id)) ?? undefined;
      if (payload) {
        remember(entries, id, payload);
      }
      return payload;
    },
    async upsert(id, payload, expiresIn) {
      entries.delete(id);
      await inner.upsert(id, payload, expiresIn);
    },
    async destroy(id) {
      entries.delete(id);
      await inner.destroy(id);
    },
    findByUid: (uid) => inner.findByUid(uid),
    findByUserCode: (code) => inner.findByUserCode(code),
    consume: (id) => inner.consume(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
  };
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  if (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) {
      map.delete(oldest);
    }
  }
}
