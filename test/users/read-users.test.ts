import { expect } from 'chai';
import { describeOnEachDatabase, detailOf } from './harness.js';

describeOnEachDatabase('GET /users/{id}, /users/by-handle/{handle}, /me', function (h) {
  const get = async (path: string, scope = 'users:read', user?: string) =>
    h.api.get(path).auth(await h.token(scope, user), { type: 'bearer' });

  describe('GET /users/{id}', function () {
    it('returns the user', async function () {
      const ada = await h.createUser('ada', 'Ada');
      const res = await get(`/users/${ada.id}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(ada);
    });

    it('returns 404 for an unknown id', async function () {
      const res = await get('/users/u_AAAAAAAAAAAAAAAAAAAAAA');
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    });

    it('returns 400 naming id for an id with characters no id has', async function () {
      const res = await get(`/users/${encodeURIComponent('a.b')}`);
      expect(res.status).to.equal(400);
      expect(detailOf(res)).to.match(/^id: /);
    });

    it('returns 403 insufficient_scope without users:read', async function () {
      const ada = await h.createUser('ada');
      const res = await get(`/users/${ada.id}`, 'users:write');
      expect(res.status).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('scope="users:read"');
    });

    it('returns 401 without a token', async function () {
      const res = await h.api.get('/users/u_AAAAAAAAAAAAAAAAAAAAAA');
      expect(res.status).to.equal(401);
    });
  });

  describe('GET /users/by-handle/{handle}', function () {
    it('finds the user whatever the case of the handle', async function () {
      const ada = await h.createUser('Ada_L');
      for (const handle of ['Ada_L', 'ada_l', 'ADA_L']) {
        const res = await get(`/users/by-handle/${handle}`);
        expect(res.status, handle).to.equal(200);
        expect(res.body).to.deep.equal(ada);
      }
    });

    it('returns 404 for a handle nobody has', async function () {
      const res = await get('/users/by-handle/nobody');
      expect(res.status).to.equal(404);
    });

    it('returns 400 naming handle for a handle that cannot exist', async function () {
      const res = await get(`/users/by-handle/${'x'.repeat(16)}`);
      expect(res.status).to.equal(400);
      expect(detailOf(res)).to.match(/^handle: /);
    });
  });

  describe('GET /me', function () {
    it("returns the token user's own profile", async function () {
      const ada = await h.createUser('ada');
      const res = await get('/me', 'users:read', ada.id);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(ada);
    });

    it('returns 403 insufficient_scope for a client_credentials token', async function () {
      const res = await get('/me', 'users:read');
      expect(res.status).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('error="insufficient_scope"');
    });

    it('returns 403 for a user token without users:read', async function () {
      const ada = await h.createUser('ada');
      const res = await get('/me', 'users:write', ada.id);
      expect(res.status).to.equal(403);
    });

    it('returns 404 when the token names a user that does not exist', async function () {
      const res = await get('/me', 'users:read', 'u_gone');
      expect(res.status).to.equal(404);
    });
  });
});
