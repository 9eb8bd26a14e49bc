import { expect } from 'chai';
import { pino } from 'pino';
import { createRegistryResolver } from '../../platform/registry/registry-resolver.js';
import { withFallback } from '../../platform/registry/fallback-resolver.js';
import { isNoInstanceError, staticResolver } from '../../platform/registry/resolver.js';
import type { BalancingResolver, ServiceInstance } from '../../platform/registry/resolver.js';

const instance = (id: string): ServiceInstance => ({
  name: 'tweets',
  instanceId: id,
  baseUrl: `http://127.0.0.1/${id}`,
});

/** A registry stand-in whose answer the test changes; `down` makes every read fail. */
function fakeRegistry(initial: string[]) {
  const state = { ids: initial, down: false, reads: 0 };
  return {
    state,
    source: (service: string): Promise<ServiceInstance[]> => {
      state.reads += 1;
      if (state.down) {
        return Promise.reject(new Error('registry unreachable'));
      }
      return Promise.resolve(service === 'tweets' ? state.ids.map(instance) : []);
    },
  };
}

describe('registry resolver', function () {
  const logger = pino({ level: 'silent' });
  let resolver: BalancingResolver | undefined;
  afterEach(function () {
    resolver?.close();
  });

  const picks = async (r: BalancingResolver, n: number, exclude?: ReadonlySet<string>) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push((await r.pick('tweets', exclude)).instanceId);
    }
    return ids;
  };

  it('spreads picks round robin over the instances', async function () {
    const fake = fakeRegistry(['a', 'b', 'c']);
    resolver = createRegistryResolver({ source: fake.source, refreshMs: 60_000, logger });
    expect(await picks(resolver, 6)).to.deep.equal(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(fake.state.reads).to.equal(1);
  });

  it('skips excluded instances and throws NoInstanceError when none is left', async function () {
    const fake = fakeRegistry(['a', 'b']);
    resolver = createRegistryResolver({ source: fake.source, refreshMs: 60_000, logger });
    expect(await picks(resolver, 3, new Set(['a']))).to.deep.equal(['b', 'b', 'b']);
    const err = await resolver.pick('tweets', new Set(['a', 'b'])).catch((e: unknown) => e);
    expect(isNoInstanceError(err)).to.equal(true);
    const none = await resolver.pick('nothing').catch((e: unknown) => e);
    expect(isNoInstanceError(none)).to.equal(true);
  });

  it('picks the instance with the fewest leased requests in flight', async function () {
    const fake = fakeRegistry(['a', 'b']);
    resolver = createRegistryResolver({
      source: fake.source,
      refreshMs: 60_000,
      strategy: 'least-outstanding',
      logger,
    });
    const first = await resolver.lease('tweets');
    const second = await resolver.lease('tweets');
    expect([first.instance.instanceId, second.instance.instanceId].sort()).to.deep.equal([
      'a',
      'b',
    ]);
    const third = await resolver.lease('tweets');
    second.release();
    const next = await resolver.lease('tweets');
    expect(next.instance.instanceId).to.equal(second.instance.instanceId);
    first.release();
    third.release();
    next.release();
  });

  it('avoids an instance reported failing while another is available', async function () {
    const fake = fakeRegistry(['a', 'b']);
    resolver = createRegistryResolver({ source: fake.source, refreshMs: 60_000, logger });
    const lease = await resolver.lease('tweets');
    lease.release({ failed: true });
    const failed = lease.instance.instanceId;
    expect(await picks(resolver, 4)).not.to.include(failed);
    resolver.reportFailure('tweets', failed === 'a' ? 'b' : 'a');
    // Both failed lately: trying one beats failing the request.
    expect(await picks(resolver, 2)).to.have.length(2);
  });

  it('follows the registry in the background and keeps the last known list while it is down', async function () {
    const fake = fakeRegistry(['a']);
    resolver = createRegistryResolver({ source: fake.source, refreshMs: 50, logger });
    expect(await picks(resolver, 1)).to.deep.equal(['a']);
    fake.state.ids = ['b'];
    await waitFor(async () => (await resolver!.pick('tweets')).instanceId === 'b');
    fake.state.down = true;
    const readsWhenDown = fake.state.reads;
    await waitFor(() => fake.state.reads > readsWhenDown + 2);
    expect(await picks(resolver, 2)).to.deep.equal(['b', 'b']);
  });

  it('reads again at once when the cached list has no usable instance', async function () {
    const fake = fakeRegistry([]);
    resolver = createRegistryResolver({ source: fake.source, refreshMs: 60_000, logger });
    expect(isNoInstanceError(await resolver.pick('tweets').catch((e: unknown) => e))).to.equal(
      true,
    );
    fake.state.ids = ['a'];
    await waitFor(async () => {
      const picked = await resolver!.pick('tweets').catch(() => undefined);
      return picked?.instanceId === 'a';
    });
  });
});

describe('registry resolver with a configured fallback', function () {
  const logger = pino({ level: 'silent' });

  it('passes leases and failure reports on to the registry resolver', async function () {
    const fake = fakeRegistry(['a', 'b']);
    const registry = createRegistryResolver({
      source: fake.source,
      refreshMs: 60_000,
      strategy: 'least-outstanding',
      logger,
    });
    const resolver = withFallback(registry, staticResolver({ tweets: 'http://127.0.0.1:1' }));
    try {
      const busy = await resolver.lease('tweets');
      // The leased instance is in flight, so each next lease goes to the other one.
      for (let i = 0; i < 3; i++) {
        const l = await resolver.lease('tweets');
        expect(l.instance.instanceId).not.to.equal(busy.instance.instanceId);
        l.release();
      }
      busy.release();
      resolver.reportFailure('tweets', busy.instance.instanceId);
      const picked = await Promise.all([1, 2, 3].map(() => resolver.pick('tweets')));
      expect(picked.map((i) => i.instanceId)).not.to.include(busy.instance.instanceId);
    } finally {
      resolver.close();
    }
  });

  it('leases the configured URL while the registry knows no instance', async function () {
    const registry = createRegistryResolver({
      source: fakeRegistry([]).source,
      refreshMs: 60_000,
      logger,
    });
    const resolver = withFallback(registry, staticResolver({ tweets: 'http://127.0.0.1:1' }));
    try {
      const lease = await resolver.lease('tweets');
      expect(lease.instance.baseUrl).to.equal('http://127.0.0.1:1');
      lease.release();
    } finally {
      resolver.close();
    }
  });
});

async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 3000) {
      throw new Error('condition not met within 3 s');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
