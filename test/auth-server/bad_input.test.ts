import { expect } from 'chai';
import { startTestAuthServer } from '../helpers/auth-server.js';
import type { TestAuthServer } from '../helpers/auth-server.js';

interface OAuthError {
  error: string;
  error_description?: string;
}

/** Hostile or broken token requests: each gets its OAuth error, never a 500. */
describe('token endpoint bad input', function () {
  let server: TestAuthServer;
  let client: { client_id: string; client_secret: string };
  let basic: string;

  before(async function () {
    server = await startTestAuthServer();
    client = await server.createClient({ scope: 'tweets:read' });
    basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  });

  after(async function () {
    await server.stop();
    await server.cleanup();
  });

  async function token(
    body: string | Uint8Array,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: OAuthError }> {
    const res = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: basic,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body,
    });
    return { status: res.status, body: (await res.json()) as OAuthError };
  }

  const cases: ReadonlyArray<
    [string, () => Promise<{ status: number; body: OAuthError }>, number, string]
  > = [
    [
      'an unknown grant type',
      () => token('grant_type=password&username=a&password=b'),
      400,
      'unsupported_grant_type',
    ],
    ['a missing grant type', () => token('resource=urn:chirp:tweets'), 400, 'invalid_request'],
    [
      'a duplicated parameter',
      () => token('grant_type=client_credentials&scope=tweets:read&scope=tweets:read'),
      400,
      'invalid_request',
    ],
    [
      'a malformed percent escape',
      () => token('grant_type=client_credentials&resource=%E0%A4%A'),
      400,
      'invalid_target',
    ],
    [
      'a JSON body',
      () => token('{"grant_type":"client_credentials"}', { 'content-type': 'application/json' }),
      400,
      'invalid_request',
    ],
    [
      'a body of 200 KiB',
      () => token(`grant_type=client_credentials&pad=${'a'.repeat(200 * 1024)}`),
      400,
      'invalid_request',
    ],
    [
      'binary garbage',
      () => token(new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x80])),
      400,
      'invalid_request',
    ],
    [
      'missing client authentication',
      () => token('grant_type=client_credentials', { authorization: '' }),
      400,
      'invalid_request',
    ],
    [
      'a malformed Basic header',
      () => token('grant_type=client_credentials', { authorization: 'Basic !!!not-base64' }),
      400,
      'invalid_request',
    ],
    [
      'two client authentication methods at once',
      () =>
        token(
          `grant_type=client_credentials&client_id=${client.client_id}&client_secret=${client.client_secret}`,
        ),
      400,
      'invalid_request',
    ],
    [
      'an unknown client',
      () =>
        token('grant_type=client_credentials', {
          authorization: `Basic ${Buffer.from('nobody:x').toString('base64')}`,
        }),
      401,
      'invalid_client',
    ],
  ];

  for (const [what, send, status, error] of cases) {
    it(`answers ${status} ${error} to ${what}`, async function () {
      const res = await send();
      expect(res.status, JSON.stringify(res.body)).to.equal(status);
      expect(res.body.error).to.equal(error);
    });
  }

  it('answers 405 or 404 to GET /token, not 500', async function () {
    const res = await fetch(`${server.issuer}/token`);
    expect(res.status).to.be.oneOf([400, 404, 405]);
  });

  it('still issues tokens after all of the above', async function () {
    const res = await token(
      'grant_type=client_credentials&resource=urn:chirp:tweets&scope=tweets:read',
    );
    expect(res.status).to.equal(200);
  });
});
