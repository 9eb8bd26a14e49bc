import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { webcrypto } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';
import { discover, insecure, oauthErrorOf } from '../helpers/oauth.js';
import { clientsCreate } from '../../auth-server/admin/clients.js';

describe('private_key_jwt client authentication', function () {
  let server: TestAuthServer;
  let as: oauth.AuthorizationServer;
  let dir: string;

  before(async function () {
    server = await startTestAuthServer();
    as = await discover(server.issuer);
    dir = mkdtempSync(join(tmpdir(), 'chirp-jwks-'));
  });

  after(async function () {
    await server.stop();
    await server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function keyPairInFile() {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const file = join(dir, `${Math.random()}.json`);
    writeFileSync(
      file,
      JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), alg: 'ES256' }] }),
    );
    return { pair, file };
  }

  async function request(clientId: string, key: webcrypto.CryptoKey) {
    const c = { client_id: clientId };
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      c,
      oauth.PrivateKeyJwt(key),
      new URLSearchParams({ resource: 'urn:chirp:tweets', scope: 'tweets:read' }),
      insecure,
    );
    return oauth.processClientCredentialsResponse(as, c, res);
  }

  it('issues a token to a client that signs its assertion with its registered key', async function () {
    const { pair, file } = await keyPairInFile();
    const client = await clientsCreate(server.admin, {
      name: 'signed',
      scope: 'tweets:read',
      authMethod: 'private_key_jwt',
      jwksFile: file,
    });
    expect(client).not.to.have.property('client_secret');
    const tokens = await request(client.client_id, pair.privateKey);
    expect(tokens.scope).to.equal('tweets:read');
  });

  it('refuses an assertion signed with another key', async function () {
    const { file } = await keyPairInFile();
    const other = await generateKeyPair('ES256');
    const client = await server.createClient({
      scope: 'tweets:read',
      authMethod: 'private_key_jwt',
      jwksFile: file,
    });
    expect(await oauthErrorOf(request(client.client_id, other.privateKey))).to.equal(
      'invalid_client',
    );
  });
});
