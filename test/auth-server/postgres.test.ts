import { expect } from 'chai';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';
import { usePostgresSchema } from '../helpers/postgres.js';
import { clientCredentials, discover } from '../helpers/oauth.js';

describe('auth server on PostgreSQL', function () {
  const pg = usePostgresSchema('auth_server');
  let server: TestAuthServer | undefined;

  after(async function () {
    await server?.stop();
    await server?.cleanup();
  });

  it('issues tokens, and keeps keys and clients across a restart', async function () {
    const env = { CHIRP_AUTH_DATABASE_URL: pg.url };
    const first = await startTestAuthServer(env, undefined, pg.schema);
    const client = await first.createClient({ scope: 'tweets:read' });
    const before = await clientCredentials(await discover(first.issuer), client, {
      resource: 'urn:chirp:tweets',
    });
    await first.stop();

    server = await first.restart();
    const after = await clientCredentials(await discover(server.issuer), client, {
      resource: 'urn:chirp:tweets',
    });
    const kid = (t: string) =>
      (JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    expect(kid(after.access_token)).to.equal(kid(before.access_token));
    const rows = (await server.admin.db('oidc_payloads').count({ n: '*' }).first()) as {
      n: string | number;
    };
    expect(Number(rows.n)).to.be.greaterThan(0);
  });
});
