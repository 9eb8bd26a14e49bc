import { expect } from 'chai';
import { PASSWORD, describeOnEachDatabase, detailOf } from './harness.js';

describeOnEachDatabase('POST /internal/password-checks', function (h) {
  const check = async (body: object, scope = 'users:credentials') =>
    h.api
      .post('/internal/password-checks')
      .auth(await h.token(scope), { type: 'bearer' })
      .send(body);

  it('answers valid with the user for the right password, whatever the case of the handle', async function () {
    const ada = await h.createUser('Ada');
    const res = await check({ handle: 'ada', password: PASSWORD });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ valid: true, user: ada });
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('answers valid: false for a wrong password', async function () {
    await h.createUser('ada');
    const res = await check({ handle: 'ada', password: `${PASSWORD}!` });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ valid: false });
  });

  it('answers an unknown or impossible handle exactly like a wrong password', async function () {
    for (const handle of ['nobody', 'not a handle', '']) {
      const res = await check({ handle, password: PASSWORD });
      expect(res.status, handle).to.equal(200);
      expect(res.body).to.deep.equal({ valid: false });
    }
  });

  it('takes as long for an unknown handle as for a wrong password (one scrypt each)', async function () {
    await h.createUser('ada');
    const timeOf = async (handle: string) => {
      const token = await h.token('users:credentials');
      const started = process.hrtime.bigint();
      await h.api
        .post('/internal/password-checks')
        .auth(token, { type: 'bearer' })
        .send({ handle, password: 'wrong password' });
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    // Warm the verifier's token cache and the database before measuring.
    await timeOf('ada');
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await timeOf('ada'));
      unknown.push(await timeOf('nobody'));
    }
    const [k, u] = [median(known), median(unknown)];
    // Without the dummy scrypt an unknown handle would answer in a millisecond or two.
    expect(u, `unknown ${u} ms vs wrong password ${k} ms`).to.be.above(k * 0.5);
    expect(u, `unknown ${u} ms vs wrong password ${k} ms`).to.be.below(k * 2);
  });

  it('never echoes the password', async function () {
    await h.createUser('ada');
    const res = await check({ handle: 'ada', password: 'a secret guess' });
    expect(res.text).to.not.include('a secret guess');
  });

  it('returns 403 insufficient_scope for a token with users:read only', async function () {
    await h.createUser('ada');
    const res = await check({ handle: 'ada', password: PASSWORD }, 'users:read');
    expect(res.status).to.equal(403);
    expect(res.headers['www-authenticate']).to.include('scope="users:credentials"');
  });

  it('returns 400 naming the field for a body of the wrong shape', async function () {
    const res = await check({ handle: 'ada' });
    expect(res.status).to.equal(400);
    expect(detailOf(res)).to.match(/^body\.password: /);
  });
});
