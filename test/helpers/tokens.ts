import { randomUUID } from 'node:crypto';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';

export interface MintOptions {
  readonly aud: string;
  readonly scope?: string;
  /** A user id for a user token; omit for a client_credentials token (sub = client id). */
  readonly user?: string;
  readonly clientId?: string;
  /** Seconds until expiry (negative: already expired); null mints a token without exp. */
  readonly expiresIn?: number | null;
  readonly claims?: JWTPayload;
  readonly header?: Record<string, unknown>;
}

/**
 * A stand-in issuer for service tests: signs RFC 9068 tokens like the auth server does, with a
 * JWKS the service under test trusts, so tests exercise the real verifier without an auth server.
 */
export interface TestIssuer {
  readonly issuer: string;
  readonly jwks: JSONWebKeySet;
  readonly getKey: JWTVerifyGetKey;
  mint(options: MintOptions): Promise<string>;
}

export async function createTestIssuer(issuer = 'http://issuer.test'): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = 'test-key';
  const jwks: JSONWebKeySet = {
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }],
  };
  return {
    issuer,
    jwks,
    getKey: createLocalJWKSet(jwks),
    async mint(o) {
      const clientId = o.clientId ?? 'test-client';
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ scope: o.scope, client_id: clientId, ...o.claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...o.header })
        .setIssuer(issuer)
        .setAudience(o.aud)
        .setSubject(o.user ?? clientId)
        .setIssuedAt(now)
        .setJti(randomUUID());
      if (o.expiresIn !== null) {
        jwt.setExpirationTime(now + (o.expiresIn ?? 300));
      }
      return jwt.sign(privateKey);
    },
  };
}
