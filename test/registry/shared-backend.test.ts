import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { createTestIssuer } from '../helpers/tokens.js';
import { BACKENDS } from './backends.js';
import { eventually, startRegistryHarness, uniqueService } from './harness.js';
import type { RegistryHarness } from './harness.js';

for (const backend of BACKENDS.filter((b) => b.name !== 'memory')) {
  describe(`two registries on one ${backend.name}`, function () {
    const space = `shared_${randomBytes(3).toString('hex')}`;
    let first: RegistryHarness | undefined;
    let second: RegistryHarness | undefined;
    before(async function () {
      const reason = backend.skipReason();
      if (reason !== undefined) {
        console.log(`    ${reason}`);
        this.skip();
      }
      const issuer = await createTestIssuer();
      const options = {
        issuer,
        env: { ...backend.env(), CHIRP_REGISTRY_TTL: '2', CHIRP_REGISTRY_REFRESH_MS: '100' },
        isolation: backend.isolation(space),
      };
      first = await startRegistryHarness(options);
      second = await startRegistryHarness(options);
    });
    after(async function () {
      await first?.close();
      await second?.close();
      await backend.cleanUp(space);
    });

    it('shows an instance registered at one gateway at the other, until it expires', async function () {
      const a = first!;
      const b = second!;
      const service = uniqueService('tweets');
      const token = await a.token('registry:write');
      const res = await request(a.url)
        .put(`/registry/services/${service}/instances/one`)
        .set({ Authorization: `Bearer ${token}` })
        .send({
          baseUrl: 'http://127.0.0.1:4102',
          healthUrl: 'http://127.0.0.1:4102/healthz',
          version: '1',
        });
      expect(res.status, res.text).to.equal(201);
      expect(await b.listed(service)).to.deep.equal(['http://127.0.0.1:4102']);
      // The second gateway's own resolver (what its proxy uses) sees it too.
      const picked = await b.registry.resolver.pick(service);
      expect(picked.baseUrl).to.equal('http://127.0.0.1:4102');
      // A heartbeat at the other gateway keeps it: ownership is stored with the instance.
      const beat = await request(b.url)
        .put(`/registry/services/${service}/instances/one/heartbeat`)
        .set({ Authorization: `Bearer ${token}` });
      expect(beat.status).to.equal(204);
      await eventually(async () => (await b.listed(service)).length === 0, 4000, 'expiry at both');
      expect(await a.listed(service)).to.deep.equal([]);
    });
  });
}
