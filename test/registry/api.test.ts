import { expect } from 'chai';
import request from 'supertest';
import { startRegistryHarness } from './harness.js';
import type { RegistryHarness } from './harness.js';

interface InstanceJson {
  instanceId: string;
  baseUrl: string;
  registeredAt: string;
}
interface ProblemJson {
  detail: string;
  errors: { field: string; message: string }[];
}
/** The listed items of a GET /registry/services/{name}/instances answer. */
const items = (res: { body: unknown }) => (res.body as { items: InstanceJson[] }).items;
const problem = (res: { body: unknown }) => res.body as ProblemJson;

const path = (name: string, id: string) => `/registry/services/${name}/instances/${id}`;
const body = {
  baseUrl: 'http://127.0.0.1:4102',
  healthUrl: 'http://127.0.0.1:4102/healthz',
  version: '0.1.0',
  openapiUrl: 'http://127.0.0.1:4102/openapi.json',
};

describe('service registry API', function () {
  let h: RegistryHarness;
  beforeEach(async function () {
    h = await startRegistryHarness();
  });
  afterEach(async function () {
    await h.close();
  });

  const bearer = async (scope: string, clientId?: string) => ({
    Authorization: `Bearer ${await h.token(scope, clientId)}`,
  });

  describe('PUT /registry/services/{name}/instances/{id}', function () {
    it('registers an instance (201) that GET then lists, and refreshes it (200)', async function () {
      const write = await bearer('registry:write');
      const created = await request(h.url).put(path('tweets', 'a')).set(write).send(body);
      expect(created.status, created.text).to.equal(201);
      expect(created.body).to.include({ name: 'tweets', instanceId: 'a', ttlSeconds: 2 });
      const again = await request(h.url).put(path('tweets', 'a')).set(write).send(body);
      expect(again.status).to.equal(200);
      expect((again.body as InstanceJson).registeredAt).to.equal(
        (created.body as InstanceJson).registeredAt,
      );

      const listed = await request(h.url)
        .get('/registry/services/tweets/instances')
        .set(await bearer('registry:read'));
      expect(listed.status).to.equal(200);
      expect(items(listed)).to.have.length(1);
      expect(items(listed)[0]).to.include({ instanceId: 'a', baseUrl: body.baseUrl });
      expect(items(listed)[0]).not.to.have.property('owner');
    });

    it('refuses a registration without a token: 401 with a bare Bearer challenge', async function () {
      const res = await request(h.url).put(path('tweets', 'rogue')).send(body);
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
      expect(res.headers['www-authenticate']).not.to.include('error=');
      const listed = await request(h.url)
        .get('/registry/services/tweets/instances')
        .set(await bearer('registry:read'));
      expect(items(listed)).to.deep.equal([]);
    });

    it('refuses a token for another audience: 401 invalid_token', async function () {
      const token = await h.issuer.mint({ aud: 'urn:chirp:tweets', scope: 'registry:write' });
      const res = await request(h.url)
        .put(path('tweets', 'rogue'))
        .set({ Authorization: `Bearer ${token}` })
        .send(body);
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
    });

    it('refuses a token without registry:write: 403 insufficient_scope', async function () {
      const res = await request(h.url)
        .put(path('tweets', 'rogue'))
        .set(await bearer('registry:read'))
        .send(body);
      expect(res.status).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('error="insufficient_scope"');
      expect(res.headers['www-authenticate']).to.include('scope="registry:write"');
    });

    for (const [field, bad] of [
      ['baseUrl', { ...body, baseUrl: 'ftp://127.0.0.1/' }],
      ['baseUrl', { ...body, baseUrl: 'http://user:pw@127.0.0.1:1' }],
      ['healthUrl', { ...body, healthUrl: 'not a url' }],
      ['version', { ...body, version: '' }],
      ['extra', { ...body, extra: 1 }],
    ] as const) {
      it(`answers 400 naming body.${field} for ${JSON.stringify(bad[field as keyof typeof bad])}`, async function () {
        const res = await request(h.url)
          .put(path('tweets', 'a'))
          .set(await bearer('registry:write'))
          .send(bad);
        expect(res.status).to.equal(400);
        expect(res.type).to.equal('application/problem+json');
        expect(JSON.stringify(problem(res).errors)).to.include(
          field === 'extra' ? 'body' : `body.${field}`,
        );
      });
    }

    it('answers 400 naming the instance id for a bad one', async function () {
      const res = await request(h.url)
        .put(path('tweets', 'a%20b'))
        .set(await bearer('registry:write'))
        .send(body);
      expect(res.status).to.equal(400);
      expect(problem(res).detail).to.match(/^instanceId:/);
    });

    it("lets no other client take over an instance: 403 on another client's id", async function () {
      await request(h.url)
        .put(path('tweets', 'a'))
        .set(await bearer('registry:write', 'tweets-client'))
        .send(body)
        .expect(201);
      const other = await bearer('registry:write', 'intruder');
      const hijack = { ...body, baseUrl: 'http://127.0.0.1:6666' };
      expect(
        (await request(h.url).put(path('tweets', 'a')).set(other).send(hijack)).status,
      ).to.equal(403);
      expect(
        (
          await request(h.url)
            .put(`${path('tweets', 'a')}/heartbeat`)
            .set(other)
        ).status,
      ).to.equal(403);
      expect((await request(h.url).delete(path('tweets', 'a')).set(other)).status).to.equal(403);
      const listed = await request(h.url)
        .get('/registry/services/tweets/instances')
        .set(await bearer('registry:read'));
      expect(items(listed)[0]?.baseUrl).to.equal(body.baseUrl);
    });
  });

  describe('heartbeat, expiry and DELETE', function () {
    it('keeps a heartbeating instance past its TTL and drops a silent one within it', async function () {
      const write = await bearer('registry:write');
      await request(h.url).put(path('tweets', 'beating')).set(write).send(body).expect(201);
      await request(h.url).put(path('tweets', 'silent')).set(write).send(body).expect(201);
      const read = await bearer('registry:read');
      const ids = async () =>
        items(await request(h.url).get('/registry/services/tweets/instances').set(read)).map(
          (i) => i.instanceId,
        );
      const started = Date.now();
      while (Date.now() - started < 3000) {
        await request(h.url)
          .put(`${path('tweets', 'beating')}/heartbeat`)
          .set(write)
          .expect(204);
        if ((await ids()).length === 1) {
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(Date.now() - started).to.be.below(2500);
      expect(await ids()).to.deep.equal(['beating']);
      const late = await request(h.url)
        .put(`${path('tweets', 'silent')}/heartbeat`)
        .set(write);
      expect(late.status).to.equal(404);
    });

    it('deregisters at once, and deregistering again is still 204', async function () {
      const write = await bearer('registry:write');
      await request(h.url).put(path('tweets', 'a')).set(write).send(body).expect(201);
      await request(h.url).delete(path('tweets', 'a')).set(write).expect(204);
      await request(h.url).delete(path('tweets', 'a')).set(write).expect(204);
      const listed = await request(h.url)
        .get('/registry/services/tweets/instances')
        .set(await bearer('registry:read'));
      expect(items(listed)).to.deep.equal([]);
    });

    it('needs registry:read to list', async function () {
      const res = await request(h.url)
        .get('/registry/services/tweets/instances')
        .set(await bearer('registry:write'));
      expect(res.status).to.equal(403);
    });
  });
});
