import { expect } from 'chai';
import { startProtocolServer } from './protocol-server.js';
import type { ProtocolServer } from './protocol-server.js';

const MAX_FAILURES = 3;

describe('failed client authentication limit', function () {
  let server: ProtocolServer;

  before(async function () {
    server = await startProtocolServer({
      env: { CHIRP_CLIENT_AUTH_MAX_FAILURES: String(MAX_FAILURES) },
    });
  });

  after(async function () {
    await server.close();
  });

  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const post = (path: string, form: Record<string, string>, authorization?: string) =>
    fetch(`${server.issuer}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: new URLSearchParams(form),
    });
  const tokenRequest = { grant_type: 'client_credentials', resource: 'urn:chirp:tweets' };

  it('answers 429 with Retry-After after too many failures, even to the right secret', async function () {
    const client = await server.createClient({ scope: 'tweets:read' });
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      const res = await post('/token', tokenRequest, basic(client.client_id, 'wrong'));
      expect(res.status).to.equal(401);
    }
    const right = basic(client.client_id, client.client_secret);
    const limited = await post('/token', tokenRequest, right);
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    const body = (await limited.json()) as Record<string, unknown>;
    expect(body['error']).to.equal('invalid_client');
    expect(body['error_description']).to.match(
      /too many failed client authentications; retry in \d+ seconds/,
    );

    const introspection = await post('/token/introspection', { token: 'x' }, right);
    expect(introspection.status).to.equal(429);
    const revocation = await post('/token/revocation', { token: 'x' }, right);
    expect(revocation.status).to.equal(429);
  });

  it('counts failures per client: another client is not affected', async function () {
    const victim = await server.createClient({ scope: 'tweets:read' });
    const bystander = await server.createClient({ scope: 'tweets:read' });
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      await post('/token', tokenRequest, basic(victim.client_id, 'wrong'));
    }
    const res = await post(
      '/token',
      tokenRequest,
      basic(bystander.client_id, bystander.client_secret),
    );
    expect(res.status).to.equal(200);
  });

  it('counts a client_id sent in the form body (client_secret_post) as well', async function () {
    const client = await server.createClient({
      scope: 'tweets:read',
      authMethod: 'client_secret_post',
    });
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      const res = await post('/token', {
        ...tokenRequest,
        client_id: client.client_id,
        client_secret: 'wrong',
      });
      expect(res.status).to.equal(401);
    }
    const limited = await post('/token', {
      ...tokenRequest,
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    expect(limited.status).to.equal(429);
  });

  it('does not count successful authentications', async function () {
    const client = await server.createClient({ scope: 'tweets:read' });
    const right = basic(client.client_id, client.client_secret);
    for (let i = 0; i < MAX_FAILURES + 2; i += 1) {
      expect((await post('/token', tokenRequest, right)).status).to.equal(200);
    }
  });
});
