import type { ReadinessCheck } from '../platform/observability/health.js';
import type { ServiceName } from './routes.js';
import type { Upstreams } from './upstream/client.js';

/**
 * One readiness check per upstream service: some instance answers its /healthz. The gateway
 * is ready when it can reach every service it routes to.
 */
export function upstreamReadiness(
  upstreams: Upstreams,
  services: readonly ServiceName[],
  timeoutMs = 1500,
): Record<string, ReadinessCheck> {
  const check = (service: ServiceName): ReadinessCheck =>
    async function upstreamReady() {
      const res = await upstreams.send(service, {
        method: 'GET',
        path: '/healthz',
        headers: { accept: 'application/json' },
        idempotent: true,
        deadline: Date.now() + timeoutMs,
      });
      if (res.status !== 200) {
        throw new Error(`${service} /healthz answered ${res.status}`);
      }
    };
  return Object.fromEntries(services.map((s) => [s, check(s)]));
}
