import { expect } from 'chai';
import type { UserJson } from '../../resource-services/users/schemas.js';
import { bodyOf, describeOnEachDatabase, detailOf } from './harness.js';

describeOnEachDatabase('internal reads for feeds', function (h) {
  const reader = async () => `Bearer ${await h.token('users:read')}`;

  describe('GET /internal/users/{id}/following-ids', function () {
    it('lists the ids of everyone the user follows and nothing else', async function () {
      const [ada, bob, cy, dee] = await Promise.all(
        ['ada', 'bob', 'cy', 'dee'].map((n) => h.createUser(n)),
      );
      await h.follow(ada!, bob!);
      await h.follow(ada!, cy!);
      await h.follow(dee!, ada!);
      const res = await h.api
        .get(`/internal/users/${ada!.id}/following-ids`)
        .set('Authorization', await reader());
      expect(res.status).to.equal(200);
      expect(res.body).to.have.all.keys('ids');
      expect([...bodyOf<{ ids: string[] }>(res).ids].sort()).to.deep.equal(
        [bob!.id, cy!.id].sort(),
      );
    });

    it('answers an empty list for a user who follows nobody', async function () {
      const ada = await h.createUser('ada');
      const res = await h.api
        .get(`/internal/users/${ada.id}/following-ids`)
        .set('Authorization', await reader());
      expect(res.body).to.deep.equal({ ids: [] });
    });

    it('returns 404 for an unknown user', async function () {
      const res = await h.api
        .get('/internal/users/u_AAAAAAAAAAAAAAAAAAAAAA/following-ids')
        .set('Authorization', await reader());
      expect(res.status).to.equal(404);
    });

    it('returns 403 without users:read', async function () {
      const res = await h.api
        .get('/internal/users/u_AAAAAAAAAAAAAAAAAAAAAA/following-ids')
        .auth(await h.token('users:credentials'), { type: 'bearer' });
      expect(res.status).to.equal(403);
    });
  });

  describe('POST /internal/users/batch', function () {
    const batch = async (body: object) =>
      h.api
        .post('/internal/users/batch')
        .set('Authorization', await reader())
        .send(body);

    it('returns the users that exist, in the order asked, each once', async function () {
      const [ada, bob] = (await Promise.all(['ada', 'bob'].map((n) => h.createUser(n)))) as [
        UserJson,
        UserJson,
      ];
      const res = await batch({ ids: [bob.id, 'u_AAAAAAAAAAAAAAAAAAAAAA', ada.id, bob.id] });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ items: [bob, ada] });
    });

    it('answers an empty list for no ids', async function () {
      const res = await batch({ ids: [] });
      expect(res.body).to.deep.equal({ items: [] });
    });

    it('accepts 500 ids and refuses 501 with a 400 naming ids', async function () {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `u_${i}`);
      expect((await batch({ ids: ids(500) })).status).to.equal(200);
      const res = await batch({ ids: ids(501) });
      expect(res.status).to.equal(400);
      expect(detailOf(res)).to.match(/^body\.ids: /);
    });

    it('returns 400 naming the entry for an id of the wrong form', async function () {
      const res = await batch({ ids: ['ok', 'not/ok'] });
      expect(res.status).to.equal(400);
      expect(detailOf(res)).to.match(/^body\.ids\.1: /);
    });

    it('returns 403 without users:read', async function () {
      const res = await h.api
        .post('/internal/users/batch')
        .auth(await h.token('users:write'), { type: 'bearer' })
        .send({ ids: [] });
      expect(res.status).to.equal(403);
    });
  });
});
