import { expect } from 'chai';
import type { UserJson, UserPageJson } from '../../resource-services/users/schemas.js';
import { bodyOf, describeOnEachDatabase, detailOf } from './harness.js';

describeOnEachDatabase('the follow graph', function (h) {
  const as = async (user: UserJson, scope = 'users:write') =>
    `Bearer ${await h.token(scope, user.id)}`;
  const read = async (path: string) =>
    h.api.get(path).auth(await h.token('users:read'), { type: 'bearer' });
  const counts = async (user: UserJson) => {
    const res = await read(`/users/${user.id}`);
    const found = bodyOf<UserJson>(res);
    return { followers: found.followersCount, following: found.followingCount };
  };

  describe('PUT /me/following/{userId}', function () {
    it('follows a user and counts it on both users', async function () {
      const ada = await h.createUser('ada');
      const bob = await h.createUser('bob');
      const res = await h.api.put(`/me/following/${bob.id}`).set('Authorization', await as(ada));
      expect(res.status).to.equal(204);
      expect(await counts(ada)).to.deep.equal({ followers: 0, following: 1 });
      expect(await counts(bob)).to.deep.equal({ followers: 1, following: 0 });
    });

    it('is idempotent: following again answers 204 and counts once', async function () {
      const ada = await h.createUser('ada');
      const bob = await h.createUser('bob');
      await h.follow(ada, bob);
      await h.follow(ada, bob);
      expect(await counts(ada)).to.deep.equal({ followers: 0, following: 1 });
      expect(await counts(bob)).to.deep.equal({ followers: 1, following: 0 });
    });

    it('counts once when the same follow arrives concurrently', async function () {
      const ada = await h.createUser('ada');
      const bob = await h.createUser('bob');
      const auth = await as(ada);
      const all = await Promise.all(
        [1, 2, 3].map(() => h.api.put(`/me/following/${bob.id}`).set('Authorization', auth)),
      );
      expect(all.map((r) => r.status)).to.deep.equal([204, 204, 204]);
      expect(await counts(bob)).to.deep.equal({ followers: 1, following: 0 });
    });

    it('keeps counts right when two users follow each other at once', async function () {
      const ada = await h.createUser('ada');
      const bob = await h.createUser('bob');
      await Promise.all([h.follow(ada, bob), h.follow(bob, ada)]);
      expect(await counts(ada)).to.deep.equal({ followers: 1, following: 1 });
      expect(await counts(bob)).to.deep.equal({ followers: 1, following: 1 });
    });

    it('returns 404 for an unknown user and changes nothing', async function () {
      const ada = await h.createUser('ada');
      const res = await h.api
        .put('/me/following/u_AAAAAAAAAAAAAAAAAAAAAA')
        .set('Authorization', await as(ada));
      expect(res.status).to.equal(404);
      expect(await counts(ada)).to.deep.equal({ followers: 0, following: 0 });
    });

    it('returns 400 naming userId for following yourself', async function () {
      const ada = await h.createUser('ada');
      const res = await h.api.put(`/me/following/${ada.id}`).set('Authorization', await as(ada));
      expect(res.status).to.equal(400);
      expect(detailOf(res)).to.match(/^userId: /);
      expect(await counts(ada)).to.deep.equal({ followers: 0, following: 0 });
    });

    it('returns 403 for a client_credentials token', async function () {
      const bob = await h.createUser('bob');
      const res = await h.api
        .put(`/me/following/${bob.id}`)
        .auth(await h.token('users:write'), { type: 'bearer' });
      expect(res.status).to.equal(403);
    });

    it('returns 403 for a user token without users:write', async function () {
      const ada = await h.createUser('ada');
      const bob = await h.createUser('bob');
      const res = await h.api
        .put(`/me/following/${bob.id}`)
        .set('Authorization', await as(ada, 'users:read'));
      expect(res.status).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('scope="users:write"');
    });
  });

  describe('DELETE /me/following/{userId}', function () {
    it('unfollows and lowers both counts', async function () {
      const ada = await h.createUser('ada');
      const bob = await h.createUser('bob');
      await h.follow(ada, bob);
      const res = await h.api.delete(`/me/following/${bob.id}`).set('Authorization', await as(ada));
      expect(res.status).to.equal(204);
      expect(await counts(ada)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(bob)).to.deep.equal({ followers: 0, following: 0 });
    });

    it('answers 204 for someone not followed, and for an unknown id, changing nothing', async function () {
      const ada = await h.createUser('ada');
      const bob = await h.createUser('bob');
      for (const id of [bob.id, 'u_AAAAAAAAAAAAAAAAAAAAAA']) {
        const res = await h.api.delete(`/me/following/${id}`).set('Authorization', await as(ada));
        expect(res.status).to.equal(204);
      }
      expect(await counts(ada)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(bob)).to.deep.equal({ followers: 0, following: 0 });
    });
  });

  describe('GET /users/{id}/following and /followers', function () {
    /** ada follows u0..u4 in that order; u0..u4 each follow ada in that order. */
    async function graph() {
      const ada = await h.createUser('ada');
      // Created at once (hashing dominates); the follows below are what the lists order by.
      const others = await Promise.all([0, 1, 2, 3, 4].map((i) => h.createUser(`u${i}`)));
      for (const other of others) {
        await h.follow(ada, other);
      }
      for (const other of others) {
        await h.follow(other, ada);
      }
      return { ada, others };
    }

    async function allPages(path: string, limit: number) {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await read(`${path}${query}`);
        expect(res.status, res.text).to.equal(200);
        pages.push(bodyOf<UserPageJson>(res).items.map((u) => u.handle));
        cursor = bodyOf<UserPageJson>(res).nextCursor;
      } while (cursor !== null);
      return pages;
    }

    it('pages whom a user follows, newest follow first, across pages by cursor', async function () {
      const { ada } = await graph();
      const pages = await allPages(`/users/${ada.id}/following`, 2);
      expect(pages).to.deep.equal([['u4', 'u3'], ['u2', 'u1'], ['u0']]);
    });

    it('pages who follows a user, newest follow first, with current counts', async function () {
      const { ada } = await graph();
      expect(await allPages(`/users/${ada.id}/followers`, 3)).to.deep.equal([
        ['u4', 'u3', 'u2'],
        ['u1', 'u0'],
      ]);
      const res = await read(`/users/${ada.id}/followers?limit=1`);
      expect(bodyOf<UserPageJson>(res).items[0]).to.include({
        handle: 'u4',
        followersCount: 1,
        followingCount: 1,
      });
    });

    it('defaults to 20 items and gives a null cursor on the last page', async function () {
      const { ada } = await graph();
      const res = await read(`/users/${ada.id}/following`);
      const page = bodyOf<UserPageJson>(res);
      expect(page.items).to.have.length(5);
      expect(page.nextCursor).to.equal(null);
    });

    it('reflects an unfollow in the next read', async function () {
      const { ada, others } = await graph();
      const u2 = others[2]!;
      await h.api.delete(`/me/following/${u2.id}`).set('Authorization', await as(ada));
      expect(await allPages(`/users/${ada.id}/following`, 10)).to.deep.equal([
        ['u4', 'u3', 'u1', 'u0'],
      ]);
    });

    it('returns an empty page for a user who follows nobody', async function () {
      const bob = await h.createUser('bob');
      const res = await read(`/users/${bob.id}/following`);
      expect(res.body).to.deep.equal({ items: [], nextCursor: null });
    });

    it('returns 404 for an unknown user', async function () {
      for (const list of ['following', 'followers']) {
        const res = await read(`/users/u_AAAAAAAAAAAAAAAAAAAAAA/${list}`);
        expect(res.status, list).to.equal(404);
      }
    });

    for (const limit of ['0', '101', 'ten', '-1', '2.5', '']) {
      it(`returns 400 naming limit for limit=${limit}`, async function () {
        const ada = await h.createUser('ada');
        const res = await read(`/users/${ada.id}/following?limit=${limit}`);
        expect(res.status).to.equal(400);
        expect(detailOf(res)).to.match(/^limit: /);
      });
    }

    for (const cursor of ['garbage', 'v1.e30', 'v1.eyJ0IjoiYSIsImlkIjoiYiJ9']) {
      it(`returns 400 naming cursor for cursor=${cursor}`, async function () {
        const ada = await h.createUser('ada');
        const res = await read(`/users/${ada.id}/followers?cursor=${cursor}`);
        expect(res.status).to.equal(400);
        expect(detailOf(res)).to.match(/^cursor: /);
      });
    }

    it('returns 403 without users:read', async function () {
      const ada = await h.createUser('ada');
      const res = await h.api
        .get(`/users/${ada.id}/following`)
        .auth(await h.token('users:write'), { type: 'bearer' });
      expect(res.status).to.equal(403);
    });
  });
});
