/** One registered instance as the registry keeps it. */
export interface InstanceRecord {
  readonly name: string;
  readonly instanceId: string;
  readonly baseUrl: string;
  readonly healthUrl: string;
  readonly version: string;
  readonly openapiUrl: string | undefined;
  /** client_id of the token that registered it: only that client may heartbeat or delete it. */
  readonly owner: string;
  /** Epoch ms of the first registration under this id. */
  readonly registeredAt: number;
  /** Epoch ms after which the instance is gone unless a heartbeat came first. */
  readonly expiresAt: number;
}

/** What a registration writes; the store sets `expiresAt`. */
export type NewInstanceRecord = Omit<InstanceRecord, 'expiresAt'>;

/**
 * Where registered instances live. Every method sees only live instances: an instance whose
 * TTL ran out is gone, whether the backend expires it natively (Redis) or filters it (memory,
 * PostgreSQL). Implementations: memory (embedded default), Redis, PostgreSQL.
 */
export interface RegistryStore {
  /** Creates or replaces the instance, live for `ttlMs` from now. */
  put(record: NewInstanceRecord, ttlMs: number): Promise<InstanceRecord>;
  get(name: string, instanceId: string): Promise<InstanceRecord | undefined>;
  /** Extends a live instance by `ttlMs` from now; undefined when it is not (or no longer) there. */
  touch(name: string, instanceId: string, ttlMs: number): Promise<InstanceRecord | undefined>;
  /** Removes the instance; false when there was none. */
  remove(name: string, instanceId: string): Promise<boolean>;
  /** The live instances of a service, in registration order. */
  list(name: string): Promise<InstanceRecord[]>;
  /** Readiness: one round trip to the backend. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
