import { expect } from 'chai';
import type * as oauth from 'oauth4webapi';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';
import { clientCredentials, discover } from '../helpers/oauth.js';
import { keysList, keysRotate } from '../../auth-server/admin/keys.js';

describe('signing key rotation', function () {
  let server: TestAuthServer;
  let as: oauth.AuthorizationServer;
  let client: { client_id: string; client_secret: string };

  before(async function () {
    // A one-second refresh lets the test wait for the running server to notice a rotation.
    server = await startTestAuthServer({ CHIRP_KEY_REFRESH_INTERVAL: '1' });
    as = await discover(server.issuer);
    client = await server.createClient({ scope: 'tweets:read' });
  });

  after(async function () {
    await server.stop();
    await server.cleanup();
  });

  async function jwks(): Promise<JSONWebKeySet> {
    return (await (await fetch(as.jwks_uri!)).json()) as JSONWebKeySet;
  }

  async function token(): Promise<string> {
    return (await clientCredentials(as, client, { resource: 'urn:chirp:tweets' })).access_token;
  }

  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('publishes the next key before it signs, and never signs with it', async function () {
    const keys = await keysList(server.admin);
    const next = keys.find((k) => k.purpose === 'access' && k.state === 'next')!;
    const current = keys.find((k) => k.purpose === 'access' && k.state === 'current')!;
    expect((await jwks()).keys.map((k) => k.kid)).to.include.members([next.kid, current.kid]);
    expect(decodeProtectedHeader(await token()).kid).to.equal(current.kid);
  });

  it('publishes no private key material', async function () {
    for (const k of (await jwks()).keys) {
      expect(k).not.to.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
    }
  });

  it('keeps old tokens valid across a rotation and signs new ones with the former next key', async function () {
    const before = await keysList(server.admin);
    const oldNext = before.find((k) => k.purpose === 'access' && k.state === 'next')!.kid;
    const oldCurrent = before.find((k) => k.purpose === 'access' && k.state === 'current')!.kid;
    const oldToken = await token();

    const after = await keysRotate(server.admin);
    expect(after.find((k) => k.kid === oldCurrent)?.state).to.equal('retiring');
    expect(after.find((k) => k.kid === oldNext)?.state).to.equal('current');

    await until(async () => decodeProtectedHeader(await token()).kid === oldNext, 'the new key');
    const set = createLocalJWKSet(await jwks());
    const verify = (t: string) =>
      jwtVerify(t, set, { issuer: server.issuer, audience: 'urn:chirp:tweets', typ: 'at+jwt' });
    await verify(oldToken);
    await verify(await token());
    const newNext = after.find((k) => k.purpose === 'access' && k.state === 'next')!.kid;
    expect((await jwks()).keys.map((k) => k.kid)).to.include(newNext);
  });

  it('drops a retiring key from the JWKS once its last token has expired', async function () {
    const retiring = (await keysList(server.admin)).find((k) => k.state === 'retiring')!;
    // Move its retirement into the past instead of waiting out a token lifetime.
    await server.admin
      .db('signing_keys')
      .where({ kid: retiring.kid })
      .update({ retire_after: Date.now() - 1 });
    await until(
      async () => !(await jwks()).keys.some((k) => k.kid === retiring.kid),
      'the retired key to leave the JWKS',
    );
    expect((await keysList(server.admin)).map((k) => k.kid)).not.to.include(retiring.kid);
  });
});
