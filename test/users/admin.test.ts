import { expect } from 'chai';
import { isProblemError } from '../../platform/errors.js';
import { createUserAdmin, migrateUsers } from '../../resource-services/users/admin.js';
import { PASSWORD, bodyOf, describeOnEachDatabase } from './harness.js';

describeOnEachDatabase('createUserAdmin (chirp users create)', function (h) {
  const create = (input: { handle: string; password: string; displayName?: string }) =>
    createUserAdmin(h.config, input, h.schema === undefined ? {} : { schema: h.schema });

  async function refusal(input: { handle: string; password: string; displayName?: string }) {
    try {
      await create(input);
    } catch (e) {
      if (isProblemError(e)) {
        return e;
      }
      throw e;
    }
    throw new Error('expected the command to be refused');
  }

  it('creates a user the service then serves, and returns only {id, handle}', async function () {
    const created = await create({ handle: 'Ada', password: PASSWORD, displayName: 'Ada L' });
    expect(created).to.have.all.keys('id', 'handle');
    expect(created.handle).to.equal('Ada');
    const res = await h.api
      .get('/users/by-handle/ada')
      .auth(await h.token('users:read'), { type: 'bearer' });
    expect(res.body).to.include({ id: created.id, handle: 'Ada', displayName: 'Ada L' });
  });

  it('stores a password the password check accepts', async function () {
    await create({ handle: 'ada', password: PASSWORD });
    const res = await h.api
      .post('/internal/password-checks')
      .auth(await h.token('users:credentials'), { type: 'bearer' })
      .send({ handle: 'ada', password: PASSWORD });
    expect(bodyOf<{ valid: boolean }>(res).valid).to.equal(true);
  });

  it('refuses a handle taken in another case with a 409 problem', async function () {
    await h.createUser('grace');
    const e = await refusal({ handle: 'GRACE', password: PASSWORD });
    expect(e.status).to.equal(409);
    expect(e.message).to.include('GRACE');
  });

  it('refuses invalid input with a message naming the field, without the password', async function () {
    const e = await refusal({ handle: 'ada', password: 'short' });
    expect(e.status).to.equal(400);
    expect(e.message).to.match(/^password: /);
    expect(e.message).to.not.include('short');
    expect((await refusal({ handle: 'no spaces', password: PASSWORD })).message).to.match(
      /^handle: /,
    );
  });

  it('migrates the database and names nothing on a second run', async function () {
    const options = h.schema === undefined ? {} : { schema: h.schema };
    expect(await migrateUsers(h.config, options)).to.deep.equal({ applied: [] });
  });
});
