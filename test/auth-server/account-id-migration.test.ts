import { expect } from 'chai';
import { authMigrations } from '../../auth-server/migrations/index.js';
import { grantsOfAccount } from '../../auth-server/interactions/account-grants.js';
import { migrate } from '../../platform/db/knex.js';
import { DATABASE_KINDS, useMigratedDatabase } from '../helpers/postgres.js';

const BEFORE_ACCOUNT_ID = authMigrations.filter((m) => m.name < '005_account_id');

for (const kind of DATABASE_KINDS) {
  describe(`migration 005_account_id on ${kind}`, function () {
    const storage = useMigratedDatabase(kind, {
      label: 'account-id',
      migrations: BEFORE_ACCOUNT_ID,
      tables: ['oidc_payloads'],
    });

    it('keeps grants stored before it listed under their account', async function () {
      const grant = {
        jti: 'g1',
        accountId: 'u_1',
        clientId: 'app',
        iat: 1,
        openid: { scope: 'openid' },
      };
      await storage.db('oidc_payloads').insert([
        { model: 'Grant', id: 'g1', payload: JSON.stringify(grant) },
        {
          model: 'Grant',
          id: 'g2',
          payload: JSON.stringify({ ...grant, jti: 'g2', accountId: 'u_2' }),
        },
        { model: 'Session', id: 's1', payload: JSON.stringify({ accountId: 'u_1' }) },
      ]);

      expect(await migrate(storage.db, authMigrations)).to.deep.equal(['005_account_id']);

      const listed = await grantsOfAccount(storage.db, 'u_1');
      expect(listed.map((g) => [g.grantId, g.clientId, g.scope])).to.deep.equal([
        ['g1', 'app', 'openid'],
      ]);
    });
  });
}
