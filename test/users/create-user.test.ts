import { expect } from 'chai';
import type { UserJson } from '../../resource-services/users/schemas.js';
import { PASSWORD, bodyOf, describeOnEachDatabase, detailOf } from './harness.js';

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describeOnEachDatabase('POST /users', function (h) {
  const post = async (body: unknown, scope = 'users:admin') =>
    h.api
      .post('/users')
      .auth(await h.token(scope), { type: 'bearer' })
      .send(body as object);

  it('creates a user with a client_credentials token carrying users:admin', async function () {
    const res = await post({ handle: 'Ada_L', password: PASSWORD, displayName: 'Ada Lovelace' });
    expect(res.status, res.text).to.equal(201);
    expect(res.body).to.include({
      handle: 'Ada_L',
      displayName: 'Ada Lovelace',
      followersCount: 0,
      followingCount: 0,
    });
    expect(bodyOf<UserJson>(res).createdAt).to.match(ISO_MS);
    expect(res.body).to.have.all.keys(
      'id',
      'handle',
      'displayName',
      'createdAt',
      'followersCount',
      'followingCount',
    );
  });

  it('gives opaque random ids that do not count users', async function () {
    const a = await h.createUser('first');
    const b = await h.createUser('second');
    expect(a.id).to.match(/^u_[A-Za-z0-9_-]{22}$/);
    expect(b.id).to.match(/^u_[A-Za-z0-9_-]{22}$/);
    expect(a.id).to.not.equal(b.id);
  });

  it('defaults displayName to the handle and trims and NFC-normalises a given one', async function () {
    const plain = await post({ handle: 'plain', password: PASSWORD });
    expect(bodyOf<UserJson>(plain).displayName).to.equal('plain');
    // "é" as e + combining acute becomes the single code point U+00E9.
    const res = await post({ handle: 'accent', password: PASSWORD, displayName: '  Rene\u0301 ' });
    expect(res.status).to.equal(201);
    expect(bodyOf<UserJson>(res).displayName).to.equal('Ren\u00e9');
  });

  it('counts characters as code points: 50 emoji are a valid displayName', async function () {
    const res = await post({ handle: 'emoji', password: PASSWORD, displayName: '🐦'.repeat(50) });
    expect(res.status, res.text).to.equal(201);
  });

  it('returns 409 when the handle is taken in any case', async function () {
    await h.createUser('Grace');
    for (const handle of ['Grace', 'grace', 'GRACE']) {
      const res = await post({ handle, password: PASSWORD });
      expect(res.status, handle).to.equal(409);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    }
  });

  it('answers concurrent creates of one handle with one 201 and one 409, never a 500', async function () {
    const token = await h.token('users:admin');
    const send = (handle: string) =>
      h.api.post('/users').auth(token, { type: 'bearer' }).send({ handle, password: PASSWORD });
    const statuses = (await Promise.all([send('racer'), send('RACER'), send('Racer')])).map(
      (r) => r.status,
    );
    expect(statuses.sort()).to.deep.equal([201, 409, 409]);
  });

  describe('refuses invalid fields with a 400 naming the field', function () {
    const cases: readonly [string, Record<string, unknown>, string][] = [
      ['a handle with a space', { handle: 'ada l', password: PASSWORD }, 'body.handle'],
      ['a 16-character handle', { handle: 'a'.repeat(16), password: PASSWORD }, 'body.handle'],
      ['an empty handle', { handle: '', password: PASSWORD }, 'body.handle'],
      ['a missing handle', { password: PASSWORD }, 'body.handle'],
      ['a 7-character password', { handle: 'ada', password: 'seven77' }, 'body.password'],
      ['a 257-character password', { handle: 'ada', password: 'p'.repeat(257) }, 'body.password'],
      ['a numeric password', { handle: 'ada', password: 12345678 }, 'body.password'],
      [
        'a blank displayName',
        { handle: 'ada', password: PASSWORD, displayName: '   ' },
        'body.displayName',
      ],
      [
        'a 51-character displayName',
        { handle: 'ada', password: PASSWORD, displayName: 'd'.repeat(51) },
        'body.displayName',
      ],
      [
        'a displayName with a control character',
        { handle: 'ada', password: PASSWORD, displayName: 'a\u0007b' },
        'body.displayName',
      ],
      ['an unknown field', { handle: 'ada', password: PASSWORD, admin: true }, 'body'],
    ];
    for (const [what, body, field] of cases) {
      it(`for ${what}`, async function () {
        const res = await post(body);
        expect(res.status, res.text).to.equal(400);
        expect(detailOf(res)).to.match(new RegExp(`^${field.replace('.', '\\.')}\\b`));
        expect(res.text, 'the password is never echoed').to.not.include(PASSWORD);
      });
    }

    it('and stores nothing', async function () {
      await post({ handle: 'ada', password: 'short' });
      const res = await post({ handle: 'ada', password: PASSWORD });
      expect(res.status).to.equal(201);
    });
  });

  it('returns 403 insufficient_scope without users:admin', async function () {
    const res = await post({ handle: 'ada', password: PASSWORD }, 'users:read users:write');
    expect(res.status).to.equal(403);
    expect(res.headers['www-authenticate']).to.include('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).to.include('scope="users:admin"');
  });

  it('returns 401 with a bare Bearer challenge without a token', async function () {
    const res = await h.api.post('/users').send({ handle: 'ada', password: PASSWORD });
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.match(/^Bearer/);
    expect(res.headers['www-authenticate']).to.not.include('error=');
  });

  it('returns 401 invalid_token for a token of another audience', async function () {
    const token = await h.issuer.mint({ aud: 'urn:chirp:tweets', scope: 'users:admin' });
    const res = await h.api
      .post('/users')
      .auth(token, { type: 'bearer' })
      .send({ handle: 'ada', password: PASSWORD });
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
  });

  it('returns 413 for a 70 KiB body', async function () {
    const res = await post({ handle: 'ada', password: PASSWORD, pad: 'x'.repeat(70 * 1024) });
    expect(res.status).to.equal(413);
  });

  it('returns 415 for a body that is not JSON', async function () {
    const res = await h.api
      .post('/users')
      .auth(await h.token('users:admin'), { type: 'bearer' })
      .type('text/plain')
      .send(`handle=ada&password=${PASSWORD}`);
    expect(res.status).to.equal(415);
  });

  it('returns 400 for malformed JSON without echoing it', async function () {
    const res = await h.api
      .post('/users')
      .auth(await h.token('users:admin'), { type: 'bearer' })
      .type('application/json')
      .send(`{"handle":"ada","password":"${PASSWORD}"`);
    expect(res.status).to.equal(400);
    expect(res.text).to.not.include(PASSWORD);
  });
});
