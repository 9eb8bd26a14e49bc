import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';

/** The claims RFC 9068 and the auth server put in a client_credentials access token. */
export const EXPECTED_CLAIMS = ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'];
const EXPECTED_BODY_KEYS = ['access_token', 'expires_in', 'scope', 'token_type'];

export interface TokenRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SampleCheck {
  readonly status: number;
  readonly bodyKeys: readonly string[];
  readonly header: { readonly alg: string; readonly typ: string | undefined };
  readonly claims: readonly string[];
}

/**
 * Sends one token request and checks the answer before anything is measured: 200, the token
 * response fields, and an ES256 at+jwt whose signature verifies against the server's JWKS and
 * whose claim set is exactly the expected one (so both servers do the same work).
 */
export async function checkSample(
  req: TokenRequest,
  jwksUrl: string,
  expect: { issuer: string; audience: string; clientId: string; scope: string },
): Promise<SampleCheck> {
  const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`sample token request answered ${res.status}: ${text}`);
  }
  const body = JSON.parse(text) as Record<string, unknown>;
  const bodyKeys = Object.keys(body).sort();
  const token = body['access_token'];
  if (
    typeof token !== 'string' ||
    body['token_type'] !== 'Bearer' ||
    typeof body['expires_in'] !== 'number' ||
    body['scope'] !== expect.scope ||
    bodyKeys.join() !== EXPECTED_BODY_KEYS.join()
  ) {
    throw new Error(`sample token response has an unexpected shape: ${text}`);
  }
  const jwksRes = await fetch(jwksUrl);
  const jwks = (await jwksRes.json()) as JSONWebKeySet;
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: expect.issuer,
    audience: expect.audience,
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });
  const claims = Object.keys(payload).sort();
  if (claims.join() !== EXPECTED_CLAIMS.join()) {
    throw new Error(`access token claims ${claims.join()} differ from ${EXPECTED_CLAIMS.join()}`);
  }
  if (payload.sub !== expect.clientId || payload['client_id'] !== expect.clientId) {
    throw new Error(`access token sub/client_id is not ${expect.clientId}`);
  }
  return {
    status: res.status,
    bodyKeys,
    header: { alg: protectedHeader.alg, typ: protectedHeader.typ },
    claims,
  };
}
