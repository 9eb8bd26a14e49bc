import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { NewInstanceRecord, RegistryStore } from '../../gateway/registry/stores/store.js';
import { BACKENDS } from './backends.js';
import { eventually } from './harness.js';

const record = (
  name: string,
  instanceId: string,
  registeredAt = Date.now(),
): NewInstanceRecord => ({
  name,
  instanceId,
  baseUrl: `http://127.0.0.1:4102/${instanceId}`,
  healthUrl: 'http://127.0.0.1:4102/healthz',
  version: '0.1.0',
  openapiUrl: undefined,
  owner: 'tweets-client',
  registeredAt,
});

for (const backend of BACKENDS) {
  describe(`registry store on ${backend.name}`, function () {
    const space = `contract_${randomBytes(3).toString('hex')}`;
    let store: RegistryStore;
    let name: string;
    before(async function () {
      const reason = backend.skipReason();
      if (reason !== undefined) {
        console.log(`    ${reason}`);
        this.skip();
      }
      store = await backend.open(space);
    });
    beforeEach(function () {
      name = `svc-${randomBytes(3).toString('hex')}`;
    });
    after(async function () {
      await store?.close();
      await backend.cleanUp(space);
    });

    it('puts, gets and lists instances in registration order', async function () {
      const t = Date.now();
      await store.put(record(name, 'b', t + 1), 10_000);
      const a = await store.put(record(name, 'a', t), 10_000);
      expect(a.expiresAt).to.be.within(Date.now() + 8_000, Date.now() + 11_000);
      expect((await store.get(name, 'a'))?.baseUrl).to.equal(a.baseUrl);
      expect((await store.list(name)).map((r) => r.instanceId)).to.deep.equal(['a', 'b']);
      expect(await store.list(`${name}-other`)).to.deep.equal([]);
    });

    it('replaces an instance put again under the same id', async function () {
      await store.put(record(name, 'a'), 10_000);
      await store.put({ ...record(name, 'a'), baseUrl: 'http://127.0.0.1:9/' }, 10_000);
      const listed = await store.list(name);
      expect(listed).to.have.length(1);
      expect(listed[0]?.baseUrl).to.equal('http://127.0.0.1:9/');
    });

    it('drops an instance after its TTL unless touched, and will not touch it then', async function () {
      await store.put(record(name, 'kept'), 700);
      await store.put(record(name, 'dropped'), 700);
      const waited = await eventually(
        async () => {
          await store.touch(name, 'kept', 700);
          return (await store.get(name, 'dropped')) === undefined;
        },
        3000,
        'the untouched instance expires',
      );
      expect(waited).to.be.below(2000);
      expect((await store.list(name)).map((r) => r.instanceId)).to.deep.equal(['kept']);
      expect(await store.touch(name, 'dropped', 700)).to.equal(undefined);
    });

    it('removes an instance, and says whether there was one', async function () {
      await store.put(record(name, 'a'), 10_000);
      expect(await store.remove(name, 'a')).to.equal(true);
      expect(await store.remove(name, 'a')).to.equal(false);
      expect(await store.list(name)).to.deep.equal([]);
    });

    it('answers a ping', async function () {
      await store.ping();
    });
  });
}
