import type { Logger } from '../observability/logger.js';
import type { Registration, RegistryClient } from './registry-client.js';

/** How an instance stays registered. */
export interface RegistrationAgentOptions {
  readonly client: RegistryClient;
  readonly registration: Registration;
  /** Time between heartbeats; shortened to a third of the registry's TTL when that is less. */
  readonly heartbeatMs: number;
  readonly logger: Logger;
}

/** A running registration: heartbeats until stopped. */
export interface RegistrationAgent {
  /** Whether the last call to the registry succeeded (for readiness and tests). */
  readonly registered: boolean;
  /** Stops heartbeats and deregisters; never throws (a failure is logged, the TTL cleans up). */
  stop(): Promise<void>;
}

/**
 * Registers the instance, then heartbeats on an unref'd timer. A heartbeat answered 404 (the
 * registry expired us, or restarted with an empty memory store) registers again. Every failure
 * is logged and retried on the next beat: the registry being down never stops a service.
 * Resolves once the first registration attempt has settled.
 */
export async function startRegistrationAgent(
  options: RegistrationAgentOptions,
): Promise<RegistrationAgent> {
  const { client, registration: r, logger } = options;
  const log = logger.child({ registry: { service: r.name, instanceId: r.instanceId } });
  let registered = false;
  let intervalMs = options.heartbeatMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let beat: Promise<void> = Promise.resolve();

  const register = async () => {
    const { ttlSeconds } = await client.register(r);
    intervalMs = Math.min(options.heartbeatMs, Math.floor((ttlSeconds * 1000) / 3));
    if (!registered) {
      log.info({ baseUrl: r.baseUrl, ttlSeconds }, 'registered with the service registry');
    }
    registered = true;
  };
  const tick = async () => {
    try {
      if (!registered || (await client.heartbeat(r.name, r.instanceId)) === 'unknown') {
        registered = false;
        await register();
      }
    } catch (err) {
      if (registered) {
        log.warn({ err }, 'registry heartbeat failed; retrying');
      } else {
        log.warn({ err }, 'registration failed; retrying');
      }
      registered = false;
    }
  };
  const schedule = () => {
    if (stopped) {
      return;
    }
    timer = setTimeout(() => {
      beat = tick().then(schedule);
    }, intervalMs);
    // Heartbeats must never keep a process alive that is otherwise done.
    timer.unref();
  };

  await tick();
  schedule();
  return {
    get registered() {
      return registered;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await beat;
      try {
        await client.deregister(r.name, r.instanceId);
        log.info('deregistered from the service registry');
      } catch (err) {
        log.warn({ err }, 'deregistration failed; the registry drops the instance after its TTL');
      }
    },
  };
}
