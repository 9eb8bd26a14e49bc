import { expect } from 'chai';
import { pino } from 'pino';
import { createRegistryResolver } from '../../platform/registry/registry-resolver.js';
import type { ServiceInstance } from '../../platform/registry/resolver.js';
import type { AttemptTarget } from '../../platform/http/resilient-client.js';
import { instanceRouting } from '../../resource-services/feeds/clients/instances.js';

const instances: ServiceInstance[] = ['a', 'b'].map((id) => ({
  name: 'tweets',
  instanceId: id,
  baseUrl: `http://${id}.invalid`,
}));

function leased(target: AttemptTarget): Exclude<AttemptTarget, string> {
  if (typeof target === 'string') {
    throw new Error('expected a lease, got a plain URL');
  }
  return target;
}

describe("feeds' instance routing over a least-outstanding registry resolver", function () {
  const resolver = createRegistryResolver({
    source: () => Promise.resolve(instances),
    refreshMs: 60_000,
    strategy: 'least-outstanding',
    logger: pino({ level: 'silent' }),
  });
  after(() => resolver.close());
  const routing = instanceRouting(resolver, 'tweets');

  it('sends the next attempt to the instance with fewer attempts in flight', async function () {
    const slow = leased(await routing.baseUrl());
    for (let i = 0; i < 3; i++) {
      const next = leased(await routing.baseUrl());
      expect(next.baseUrl).not.to.equal(slow.baseUrl);
      next.release({ failed: false });
    }
    slow.release({ failed: false });
  });

  it('avoids an instance whose attempt failed while the other is usable', async function () {
    const failing = leased(await routing.baseUrl());
    failing.release({ failed: true });
    for (let i = 0; i < 3; i++) {
      const next = leased(await routing.baseUrl());
      expect(next.baseUrl).not.to.equal(failing.baseUrl);
      next.release({ failed: false });
    }
  });
});
