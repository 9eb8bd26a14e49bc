import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import {
  createAdapterFactory,
  listPayloads,
  purgeExpired,
} from '../../auth-server/provider/adapter.js';
import { authMigrations } from '../../auth-server/migrations/index.js';
import { createSecretBox } from '../../auth-server/storage/secret-box.js';
import { DATABASE_KINDS, useMigratedDatabase } from '../helpers/postgres.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const SECRET = 'kP2-a-client-secret-that-must-never-be-stored-in-plain-text';

interface RawRow {
  model: string;
  id: string;
  payload: string;
}

for (const kind of DATABASE_KINDS) {
  describe(`oidc-provider adapter on ${kind}`, function () {
    const storage = useMigratedDatabase(kind, {
      label: 'adapter',
      migrations: authMigrations,
      tables: ['oidc_payloads'],
    });
    let clock: sinon.SinonFakeTimers;
    let adapterFor: (model: string) => Adapter;

    beforeEach(function () {
      clock = sinon.useFakeTimers({ now: T0, toFake: ['Date'] });
      adapterFor = createAdapterFactory(storage.db, createSecretBox(randomBytes(32)));
    });

    afterEach(function () {
      clock.restore();
    });

    async function rawPayload(model: string, id: string): Promise<string | undefined> {
      const row = await storage.db<RawRow>('oidc_payloads').where({ model, id }).first('payload');
      return row?.payload;
    }

    async function storedIds(): Promise<string[]> {
      const rows = await storage.db<RawRow>('oidc_payloads').select('id').orderBy('id');
      return rows.map((r) => r.id);
    }

    describe('upsert and find', function () {
      it('finds a payload exactly as it was upserted', async function () {
        const tokens = adapterFor('AccessToken');
        const payload: AdapterPayload = {
          jti: 'at-1',
          kind: 'AccessToken',
          accountId: 'user-1',
          clientId: 'client-1',
          grantId: 'grant-1',
          scope: 'openid tweets:read',
          extra: { nested: { list: [1, 2, 3] } },
        };
        await tokens.upsert('at-1', payload, 300);
        expect(await tokens.find('at-1')).to.deep.equal(payload);
      });

      it('overwrites the payload when the same id is upserted again', async function () {
        const sessions = adapterFor('Session');
        await sessions.upsert('s-1', { accountId: 'alice', uid: 'uid-old' }, 600);
        await sessions.upsert('s-1', { accountId: 'bob', uid: 'uid-new' }, 600);
        expect(await sessions.find('s-1')).to.deep.equal({ accountId: 'bob', uid: 'uid-new' });
        expect(await sessions.findByUid('uid-old')).to.equal(undefined);
        expect(await sessions.findByUid('uid-new')).to.deep.equal({
          accountId: 'bob',
          uid: 'uid-new',
        });
      });

      it('keeps a row that was re-upserted without expiresIn after the old expiry', async function () {
        const grants = adapterFor('Grant');
        await grants.upsert('g-1', { accountId: 'alice' }, 1);
        await grants.upsert('g-1', { accountId: 'alice' });
        clock.tick(60_000);
        expect(await grants.find('g-1')).to.deep.equal({ accountId: 'alice' });
      });

      it('returns undefined for an id that was never stored', async function () {
        expect(await adapterFor('AccessToken').find('no-such-id')).to.equal(undefined);
      });
    });

    describe('findByUid and findByUserCode', function () {
      it('finds a session by its uid and nothing by another uid', async function () {
        const sessions = adapterFor('Session');
        await sessions.upsert('s-1', { uid: 'uid-1', accountId: 'alice' }, 600);
        expect(await sessions.findByUid('uid-1')).to.deep.equal({
          uid: 'uid-1',
          accountId: 'alice',
        });
        expect(await sessions.findByUid('uid-2')).to.equal(undefined);
      });

      it('finds a device code by its user code and nothing by another code', async function () {
        const codes = adapterFor('DeviceCode');
        await codes.upsert('dc-1', { userCode: 'WDJB-MJHT', clientId: 'tv' }, 600);
        expect(await codes.findByUserCode('WDJB-MJHT')).to.deep.equal({
          userCode: 'WDJB-MJHT',
          clientId: 'tv',
        });
        expect(await codes.findByUserCode('AAAA-BBBB')).to.equal(undefined);
      });
    });

    describe('consume', function () {
      it('marks the payload consumed with the time of consumption in seconds', async function () {
        const codes = adapterFor('AuthorizationCode');
        await codes.upsert('code-1', { grantId: 'g-1', clientId: 'web' }, 60);
        expect((await codes.find('code-1'))?.consumed).to.equal(undefined);
        clock.tick(5_000);
        await codes.consume('code-1');
        expect(await codes.find('code-1')).to.deep.equal({
          grantId: 'g-1',
          clientId: 'web',
          consumed: T0 / 1000 + 5,
        });
      });

      it('leaves other ids unconsumed', async function () {
        const codes = adapterFor('AuthorizationCode');
        await codes.upsert('code-1', { clientId: 'web' }, 60);
        await codes.upsert('code-2', { clientId: 'web' }, 60);
        await codes.consume('code-1');
        expect((await codes.find('code-2'))?.consumed).to.equal(undefined);
      });
    });

    describe('destroy', function () {
      it('removes the payload so find returns undefined, leaving other ids', async function () {
        const tokens = adapterFor('RefreshToken');
        await tokens.upsert('rt-1', { grantId: 'g-1' }, 600);
        await tokens.upsert('rt-2', { grantId: 'g-1' }, 600);
        await tokens.destroy('rt-1');
        expect(await tokens.find('rt-1')).to.equal(undefined);
        expect(await tokens.find('rt-2')).to.deep.equal({ grantId: 'g-1' });
      });
    });

    describe('revokeByGrantId', function () {
      it("removes every model's rows of that grant and no others", async function () {
        const models = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'Grant'];
        for (const model of models) {
          await adapterFor(model).upsert(`${model}-a`, { grantId: 'grant-a' }, 600);
          await adapterFor(model).upsert(`${model}-b`, { grantId: 'grant-b' }, 600);
        }
        await adapterFor('Session').upsert('session-1', { uid: 'uid-1' }, 600);

        await adapterFor('RefreshToken').revokeByGrantId('grant-a');

        for (const model of models) {
          expect(await adapterFor(model).find(`${model}-a`), `${model} of grant-a`).to.equal(
            undefined,
          );
          expect(await adapterFor(model).find(`${model}-b`), `${model} of grant-b`).to.deep.equal({
            grantId: 'grant-b',
          });
        }
        expect(await adapterFor('Session').find('session-1')).to.deep.equal({ uid: 'uid-1' });
      });
    });

    describe('expiry', function () {
      it('finds a row until its expiresIn has passed, then no longer', async function () {
        const tokens = adapterFor('AccessToken');
        await tokens.upsert('at-1', { jti: 'at-1' }, 1);
        clock.tick(999);
        expect(await tokens.find('at-1')).to.deep.equal({ jti: 'at-1' });
        clock.tick(1);
        expect(await tokens.find('at-1')).to.equal(undefined);
      });

      it('does not return expired rows by uid or user code either', async function () {
        await adapterFor('Session').upsert('s-1', { uid: 'uid-1' }, 1);
        await adapterFor('DeviceCode').upsert('dc-1', { userCode: 'WDJB-MJHT' }, 1);
        clock.tick(1_000);
        expect(await adapterFor('Session').findByUid('uid-1')).to.equal(undefined);
        expect(await adapterFor('DeviceCode').findByUserCode('WDJB-MJHT')).to.equal(undefined);
      });

      it('keeps finding a row upserted without expiresIn', async function () {
        await adapterFor('Client').upsert('client-1', { client_id: 'client-1' });
        clock.tick(10 * 365 * 24 * 3600 * 1000);
        expect(await adapterFor('Client').find('client-1')).to.deep.equal({
          client_id: 'client-1',
        });
      });
    });

    describe('purgeExpired', function () {
      it('deletes only rows that expired more than the grace ago', async function () {
        const tokens = adapterFor('AccessToken');
        await tokens.upsert('expired-long-ago', { jti: '1' }, 10);
        await tokens.upsert('expired-within-grace', { jti: '2' }, 60);
        await tokens.upsert('live', { jti: '3' }, 3600);
        await adapterFor('Client').upsert('no-expiry', { client_id: 'no-expiry' });
        clock.tick(100_000);

        const deleted = await purgeExpired(storage.db, 60_000);

        expect(deleted).to.equal(1);
        expect(await storedIds()).to.deep.equal(['expired-within-grace', 'live', 'no-expiry']);
        expect(await tokens.find('expired-within-grace')).to.equal(undefined);
      });
    });

    describe('model isolation', function () {
      it('keeps the same id in two models apart', async function () {
        const access = adapterFor('AccessToken');
        const credentials = adapterFor('ClientCredentials');
        await access.upsert('same-id', { kind: 'AccessToken' }, 600);
        await credentials.upsert('same-id', { kind: 'ClientCredentials' }, 600);

        await access.consume('same-id');
        expect(await credentials.find('same-id')).to.deep.equal({ kind: 'ClientCredentials' });

        await credentials.destroy('same-id');
        expect(await credentials.find('same-id')).to.equal(undefined);
        expect(await access.find('same-id')).to.deep.equal({
          kind: 'AccessToken',
          consumed: T0 / 1000,
        });
      });
    });

    describe('client secrets at rest', function () {
      it('stores no client secret in the payload column, and find returns it', async function () {
        const clients = adapterFor('Client');
        const client: AdapterPayload = {
          client_id: 'client-1',
          client_secret: SECRET,
          grant_types: ['client_credentials'],
        };
        await clients.upsert('client-1', client);

        const raw = await rawPayload('Client', 'client-1');
        expect(raw).to.be.a('string');
        expect(raw).not.to.include(SECRET);
        expect(await clients.find('client-1')).to.deep.equal(client);
      });

      it('refuses a sealed secret copied into another client row', async function () {
        const clients = adapterFor('Client');
        await clients.upsert('client-1', { client_id: 'client-1', client_secret: SECRET });
        await clients.upsert('client-2', { client_id: 'client-2' });
        await storage
          .db('oidc_payloads')
          .where({ model: 'Client', id: 'client-2' })
          .update({ payload: await rawPayload('Client', 'client-1') });

        const error = await clients.find('client-2').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(Error);
      });

      it('leaves a client without a secret as it is', async function () {
        const client: AdapterPayload = {
          client_id: 'public-1',
          token_endpoint_auth_method: 'none',
        };
        await adapterFor('Client').upsert('public-1', client);
        expect(JSON.parse((await rawPayload('Client', 'public-1')) ?? '')).to.deep.equal(client);
        expect(await adapterFor('Client').find('public-1')).to.deep.equal(client);
      });
    });

    describe('listPayloads', function () {
      it("lists one model's payloads by id with client secrets still sealed", async function () {
        const clients = adapterFor('Client');
        await clients.upsert('client-b', { client_id: 'client-b', client_secret: SECRET });
        await clients.upsert('client-a', { client_id: 'client-a' });
        await adapterFor('AccessToken').upsert('at-1', { jti: 'at-1' }, 600);

        const listed = await listPayloads(storage.db, 'Client');

        expect(listed.map((p) => p.client_id)).to.deep.equal(['client-a', 'client-b']);
        expect(JSON.stringify(listed)).not.to.include(SECRET);
        expect(listed[1]).not.to.have.property('client_secret');
      });
    });
  });
}
