import { expect } from 'chai';
import type { Response } from 'supertest';
import { openApiContract } from '../helpers/openapi.js';
import type { OpenApiContract } from '../helpers/openapi.js';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { newUserId, postTweet, useTweetsService } from './service.js';

type Method = 'get' | 'post' | 'put' | 'delete';

for (const kind of DATABASE_KINDS) {
  describe(`tweets service responses match its /openapi.json (${kind})`, function () {
    const h = useTweetsService(kind, 'contract');
    let contract: OpenApiContract;

    before(async function () {
      const res = await h.http().get('/openapi.json');
      expect(res.status).to.equal(200);
      contract = openApiContract(res.body, 'tweets');
      check(res, 'get', '/openapi.json');
    });

    /** Validates one real response of `method` `path`; the contract records the outcome. */
    const check = (res: Response, method: Method, path: string): void => {
      contract.checkResponse(res, { method, template: path });
    };
    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

    it('documents every route as OpenAPI 3.1, /internal/ tagged internal', async function () {
      const doc = (await h.http().get('/openapi.json')).body as {
        openapi: string;
        paths: Record<string, Record<string, { tags: string[] }>>;
      };
      expect(doc.openapi).to.match(/^3\.1\./);
      expect(Object.keys(doc.paths)).to.have.members([
        '/tweets',
        '/tweets/{id}',
        '/internal/timelines',
        '/openapi.json',
      ]);
      expect(doc.paths['/internal/timelines']?.['post']?.tags).to.deep.equal(['internal']);
    });

    it('POST /tweets: 201, 400, 401, 403, 413, 415, 422', async function () {
      const user = newUserId();
      const token = await h.userToken(user);
      const post = () => h.http().post('/tweets').set(bearer(token));
      check(await post().send({ text: 'contract' }), 'post', '/tweets');
      check(await post().set('Idempotency-Key', 'c1').send({ text: 'a' }), 'post', '/tweets');
      check(await post().set('Idempotency-Key', 'c1').send({ text: 'a' }), 'post', '/tweets');
      check(await post().set('Idempotency-Key', 'c1').send({ text: 'b' }), 'post', '/tweets');
      check(await post().send({ text: '' }), 'post', '/tweets');
      check(await h.http().post('/tweets').send({ text: 'x' }), 'post', '/tweets');
      const service = await h.serviceToken('tweets:write');
      check(
        await h.http().post('/tweets').set(bearer(service)).send({ text: 'x' }),
        'post',
        '/tweets',
      );
      check(await post().send({ text: 'x'.repeat(70_000) }), 'post', '/tweets');
      check(await post().type('text/plain').send('x'), 'post', '/tweets');
    });

    it('GET /tweets: 200, 400, 401, 403', async function () {
      const author = newUserId();
      await postTweet(h, author, 'one');
      await postTweet(h, author, 'two');
      const get = async (query: object, scope = 'tweets:read') =>
        h
          .http()
          .get('/tweets')
          .query(query)
          .set(bearer(await h.serviceToken(scope)));
      const first = await get({ author, limit: 1 });
      check(first, 'get', '/tweets');
      check(
        await get({ author, cursor: (first.body as { nextCursor: string }).nextCursor }),
        'get',
        '/tweets',
      );
      check(await get({}), 'get', '/tweets');
      check(await get({ author }, 'tweets:write'), 'get', '/tweets');
      check(await h.http().get('/tweets').query({ author }), 'get', '/tweets');
    });

    it('GET /tweets/{id}: 200, 401, 403, 404', async function () {
      const tweet = await postTweet(h, newUserId(), 'read');
      const read = await h.serviceToken('tweets:read');
      const path = '/tweets/{id}';
      check(await h.http().get(`/tweets/${tweet.id}`).set(bearer(read)), 'get', path);
      check(await h.http().get('/tweets/0000000000000000001').set(bearer(read)), 'get', path);
      check(await h.http().get('/tweets/nope').set(bearer(read)), 'get', path);
      check(await h.http().get(`/tweets/${tweet.id}`), 'get', path);
      const noScope = await h.serviceToken('tweets:write');
      check(await h.http().get(`/tweets/${tweet.id}`).set(bearer(noScope)), 'get', path);
    });

    it('DELETE /tweets/{id}: 204, 401, 403, 404', async function () {
      const author = newUserId();
      const tweet = await postTweet(h, author, 'delete');
      const path = '/tweets/{id}';
      const del = (token?: string) => {
        const r = h.http().delete(`/tweets/${tweet.id}`);
        return token === undefined ? r : r.set(bearer(token));
      };
      check(await del(), 'delete', path);
      check(await del(await h.userToken(newUserId())), 'delete', path);
      check(await del(await h.userToken(author, 'tweets:read')), 'delete', path);
      check(await del(await h.userToken(author)), 'delete', path);
      check(await del(await h.userToken(author)), 'delete', path);
    });

    it('POST /internal/timelines: 200, 400, 401, 403, 413, 415', async function () {
      const author = newUserId();
      await postTweet(h, author, 'timeline');
      const path = '/internal/timelines';
      const read = bearer(await h.serviceToken('tweets:read'));
      const write = bearer(await h.serviceToken('tweets:write'));
      const post = () => h.http().post(path);
      check(
        await post()
          .set(read)
          .send({ authorIds: [author] }),
        'post',
        path,
      );
      check(await post().set(read).send({ authorIds: [] }), 'post', path);
      check(await post().send({ authorIds: [author] }), 'post', path);
      check(
        await post()
          .set(write)
          .send({ authorIds: [author] }),
        'post',
        path,
      );
      check(
        await post()
          .set(read)
          .send({ authorIds: ['x'.repeat(400_000)] }),
        'post',
        path,
      );
      check(await post().set(read).type('text/plain').send('x'), 'post', path);
    });

    it('has a validator that refuses what the document does not allow', function () {
      const fake = (status: number, type: string, body: unknown) =>
        ({ status, headers: { 'content-type': type }, body, text: 'x' }) as unknown as Response;
      const tweet = { id: '1', authorId: 'u', text: 't', createdAt: '2026-01-01T00:00:00.000Z' };
      const at = { method: 'get', template: '/tweets/{id}' };
      expect(() => contract.checkResponse(fake(200, 'application/json', tweet), at)).to.throw(
        /pattern/,
      );
      expect(() => contract.checkResponse(fake(404, 'application/json', {}), at)).to.throw(
        /media type/,
      );
      expect(() => contract.checkResponse(fake(409, 'application/problem+json', {}), at)).to.throw(
        /not documented/,
      );
    });

    it('exercised every documented response', function () {
      expect([...contract.seen()]).to.have.members(contract.documented());
    });
  });
}
