/** Which user id a handle belonged to lately, so a profile's two reads can run in parallel. */
export interface HandleIds {
  get(handle: string): string | undefined;
  set(handle: string, id: string): void;
}

/**
 * A bounded memo of handle → user id (handles compare case-insensitively). It only decides
 * whether the tweets read may start beside the users read: the users answer still says whose
 * profile it is, and a stale entry costs one more tweets read, never a wrong profile.
 */
export function createHandleIds(maxEntries = 10_000, ttlMs = 10 * 60_000): HandleIds {
  const entries = new Map<string, { id: string; until: number }>();
  return {
    get(handle) {
      const key = handle.toLowerCase();
      const hit = entries.get(key);
      if (hit === undefined || hit.until < Date.now()) {
        entries.delete(key);
        return undefined;
      }
      return hit.id;
    },
    set(handle, id) {
      const key = handle.toLowerCase();
      entries.delete(key);
      entries.set(key, { id, until: Date.now() + ttlMs });
      if (entries.size > maxEntries) {
        // Maps iterate in insertion order: the first key is the least recently set.
        const oldest = entries.keys().next();
        if (oldest.done !== true) {
          entries.delete(oldest.value);
        }
      }
    },
  };
}
