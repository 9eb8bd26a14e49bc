import { expect } from 'chai';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { newUserId, postTweet, useTweetsService } from './service.js';

for (const kind of DATABASE_KINDS) {
  describe(`GET and DELETE /tweets/{id} (${kind})`, function () {
    const h = useTweetsService(kind, 'read_delete');

    const get = async (id: string, token?: string) =>
      h
        .http()
        .get(`/tweets/${id}`)
        .set('Authorization', `Bearer ${token ?? (await h.serviceToken('tweets:read'))}`);
    const del = async (id: string, token: string) =>
      h.http().delete(`/tweets/${id}`).set('Authorization', `Bearer ${token}`);

    describe('GET /tweets/{id}', function () {
      it('answers 200 with the tweet for a client_credentials token with tweets:read', async function () {
        const tweet = await postTweet(h, newUserId(), 'read me');
        const res = await get(tweet.id);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal(tweet);
      });

      it('answers 404 for an id that names no tweet', async function () {
        const res = await get('0000000000000000001');
        expect(res.status).to.equal(404);
        expect(res.headers['content-type']).to.include('application/problem+json');
      });

      for (const malformed of [
        'abc',
        '123',
        '12345678901234567890',
        '%F0%9F%98%80',
        'x'.repeat(300),
      ]) {
        it(`answers 404 for the malformed id ${malformed.slice(0, 20)}`, async function () {
          const res = await get(malformed);
          expect(res.status).to.equal(404);
        });
      }

      it('answers 403 without tweets:read', async function () {
        const tweet = await postTweet(h, newUserId(), 'scoped');
        const res = await get(tweet.id, await h.serviceToken('tweets:write'));
        expect(res.status).to.equal(403);
        expect(res.headers['www-authenticate']).to.include('scope="tweets:read"');
      });

      it('answers 401 without a token', async function () {
        const res = await h.http().get('/tweets/0000000000000000001');
        expect(res.status).to.equal(401);
      });
    });

    describe('DELETE /tweets/{id}', function () {
      it('answers 403 to a user who is not the author, and the tweet stays', async function () {
        const tweet = await postTweet(h, newUserId(), 'not yours');
        const res = await del(tweet.id, await h.userToken(newUserId()));
        expect(res.status).to.equal(403);
        expect(res.headers['content-type']).to.include('application/problem+json');
        expect((await get(tweet.id)).status).to.equal(200);
      });

      it('answers 204 to the author, after which the tweet is 404', async function () {
        const author = newUserId();
        const tweet = await postTweet(h, author, 'short-lived');
        const res = await del(tweet.id, await h.userToken(author));
        expect(res.status).to.equal(204);
        expect(res.text).to.equal('');
        expect((await get(tweet.id)).status).to.equal(404);
        expect((await del(tweet.id, await h.userToken(author))).status).to.equal(404);
      });

      it('answers 404 for an absent or malformed id', async function () {
        const token = await h.userToken(newUserId());
        expect((await del('0000000000000000001', token)).status).to.equal(404);
        expect((await del('nope', token)).status).to.equal(404);
      });

      it('answers 403 to a client_credentials token, even with tweets:write', async function () {
        const tweet = await postTweet(h, newUserId(), 'services cannot delete');
        const res = await del(tweet.id, await h.serviceToken('tweets:write'));
        expect(res.status).to.equal(403);
        expect((await get(tweet.id)).status).to.equal(200);
      });

      it('answers 403 to the author without tweets:write', async function () {
        const author = newUserId();
        const tweet = await postTweet(h, author, 'read-only token');
        const res = await del(tweet.id, await h.userToken(author, 'tweets:read'));
        expect(res.status).to.equal(403);
        expect(res.headers['www-authenticate']).to.include('scope="tweets:write"');
      });
    });
  });
}
