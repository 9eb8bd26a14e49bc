import { expect } from 'chai';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { firstError, newUserId, problemOf, tweetOf, useTweetsService } from './service.js';

for (const kind of DATABASE_KINDS) {
  describe(`POST /tweets (${kind})`, function () {
    const h = useTweetsService(kind, 'create');

    const post = async (body: unknown, user = newUserId()) =>
      h
        .http()
        .post('/tweets')
        .set('Authorization', `Bearer ${await h.userToken(user)}`)
        .send(body as object);

    it('creates a tweet with the token’s user as author and answers 201 with it', async function () {
      const user = newUserId();
      const res = await post({ text: 'hello, world' }, user);
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ authorId: user, text: 'hello, world' });
      expect(tweetOf(res).id).to.match(/^[0-9]{19}$/);
      expect(tweetOf(res).createdAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(tweetOf(res).createdAt) - Date.now())).to.be.lessThan(60_000);
      expect(res.headers['location']).to.equal(`/tweets/${tweetOf(res).id}`);
      const read = await h
        .http()
        .get(`/tweets/${tweetOf(res).id}`)
        .set('Authorization', `Bearer ${await h.userToken(user)}`);
      expect(read.body).to.deep.equal(res.body);
    });

    it('ignores an authorId in the body: the author is always the token’s subject', async function () {
      const user = newUserId();
      const res = await post({ text: 'mine', authorId: 'someone_else' }, user);
      expect(res.status).to.equal(201);
      expect(tweetOf(res).authorId).to.equal(user);
    });

    it('accepts 280 emoji (280 code points, 560 UTF-16 units)', async function () {
      const text = '😀'.repeat(280);
      const res = await post({ text });
      expect(res.status).to.equal(201);
      expect(tweetOf(res).text).to.equal(text);
    });

    it('refuses 281 code points with a 400 naming body.text', async function () {
      const res = await post({ text: '😀'.repeat(281) });
      expect(res.status).to.equal(400);
      expect(res.headers['content-type']).to.include('application/problem+json');
      expect(problemOf(res).detail).to.match(/^body\.text: /);
      expect(firstError(res).field).to.equal('body.text');
    });

    it('counts and stores text after NFC normalisation', async function () {
      // "é" as e + COMBINING ACUTE ACCENT is 2 code points, 1 after NFC.
      const decomposed = 'e\u0301';
      const res = await post({ text: decomposed.repeat(280) });
      expect(res.status).to.equal(201);
      expect(tweetOf(res).text).to.equal('\u00e9'.repeat(280));
      expect([...tweetOf(res).text].length).to.equal(280);
    });

    it('refuses 281 characters even when each was sent decomposed', async function () {
      const res = await post({ text: 'e\u0301'.repeat(281) });
      expect(res.status).to.equal(400);
    });

    for (const [what, text] of [
      ['empty text', ''],
      ['whitespace-only text', ' \t\n\u00a0\u3000 '],
      ['text with a NUL character', 'a\u0000b'],
      ['text with an unpaired surrogate', 'a\ud83d b'],
    ] as const) {
      it(`refuses ${what} with 400`, async function () {
        const res = await post({ text });
        expect(res.status).to.equal(400);
        expect(firstError(res).field).to.equal('body.text');
      });
    }

    for (const [what, body, field] of [
      ['a missing text', {}, 'body.text'],
      ['a text that is not a string', { text: 42 }, 'body.text'],
      ['a body that is not an object', ['hello'], 'body'],
    ] as const) {
      it(`refuses ${what} with 400 naming ${field}`, async function () {
        const res = await post(body);
        expect(res.status).to.equal(400);
        expect(firstError(res).field).to.equal(field);
      });
    }

    it('refuses a client_credentials token with 403 insufficient_scope', async function () {
      const res = await h
        .http()
        .post('/tweets')
        .set('Authorization', `Bearer ${await h.serviceToken('tweets:read tweets:write')}`)
        .send({ text: 'from a service' });
      expect(res.status).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('error="insufficient_scope"');
    });

    it('refuses a user token without tweets:write with 403 naming the scope', async function () {
      const res = await h
        .http()
        .post('/tweets')
        .set('Authorization', `Bearer ${await h.userToken(newUserId(), 'tweets:read')}`)
        .send({ text: 'no scope' });
      expect(res.status).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('scope="tweets:write"');
    });

    it('answers 401 with a bare Bearer challenge without a token', async function () {
      const res = await h.http().post('/tweets').send({ text: 'anonymous' });
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
      expect(res.headers['www-authenticate']).not.to.include('error=');
    });

    it('answers 401 invalid_token for a token of another audience', async function () {
      const token = await h.issuer.mint({
        aud: 'urn:chirp:users',
        scope: 'tweets:write',
        user: 'u1',
      });
      const res = await h
        .http()
        .post('/tweets')
        .set('Authorization', `Bearer ${token}`)
        .send({ text: 'wrong audience' });
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
    });

    it('answers 413 for a body over 64 KiB', async function () {
      const res = await post({ text: 'x'.repeat(70 * 1024) });
      expect(res.status).to.equal(413);
      expect(res.headers['content-type']).to.include('application/problem+json');
    });

    it('answers 415 for a body that is not JSON', async function () {
      const res = await h
        .http()
        .post('/tweets')
        .set('Authorization', `Bearer ${await h.userToken(newUserId())}`)
        .type('text/plain')
        .send('hello');
      expect(res.status).to.equal(415);
    });

    it('answers 400 for malformed JSON and stores nothing', async function () {
      const user = newUserId();
      const token = await h.userToken(user);
      const res = await h
        .http()
        .post('/tweets')
        .set('Authorization', `Bearer ${token}`)
        .type('application/json')
        .send('{"text": "unterminated');
      expect(res.status).to.equal(400);
      const list = await h
        .http()
        .get('/tweets')
        .query({ author: user })
        .set('Authorization', `Bearer ${token}`);
      expect(list.body).to.deep.equal({ items: [], nextCursor: null });
    });
  });
}
