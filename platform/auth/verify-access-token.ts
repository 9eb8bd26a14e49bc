import { jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';

/** What a verified RFC 9068 access token says about its caller. */
export interface AccessClaims {
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  /** True for a token acting for a user (authorization_code), false for client_credentials. */
  readonly isUser: boolean;
  readonly jti: string;
  /** Seconds since the epoch. */
  readonly exp: number;
  /** RFC 8705 certificate binding, when the token is bound. */
  readonly certificateThumbprint?: string;
}

export interface VerifierOptions {
  readonly issuer: string;
  /** The resource indicator of the service: tokens for any other audience are refused. */
  readonly audience: string;
  readonly getKey: JWTVerifyGetKey;
  readonly clockToleranceSeconds?: number;
  /** Verified tokens kept in memory (each until it expires). */
  readonly cacheSize?: number;
}

/** Any reason a token was refused; the reason is for logs, never for the client. */
export class TokenRejected extends Error {
  readonly brand = 'TokenRejected' as const;
}

export function isTokenRejected(e: unknown): e is TokenRejected {
  return e instanceof TokenRejected;
}

/** Only the algorithm the issuer signs access tokens with: never `none`, never HMAC. */
const ALGORITHMS = ['ES256'];

/**
 * Verifies access tokens the zero-trust way: signature against the issuer's keys, `typ`,
 * algorithm allow-list, `iss`, `aud`, required claims and expiry with a small tolerance.
 * Verified tokens are cached until they expire, since ES256 verification dominates a request.
 */
export function createAccessTokenVerifier(options: VerifierOptions) {
  const cache = new Map<string, AccessClaims>();
  const max = options.cacheSize ?? 10_000;
  const peek = (token: string): AccessClaims | undefined => {
    const hit = cache.get(token);
    return hit !== undefined && hit.exp * 1000 > Date.now() ? hit : undefined;
  };
  return {
    /**
     * The claims of a token verified before and not yet expired, without a promise: a request
     * with a known token then costs no microtask here.
     */
    peek,
    async verify(token: string): Promise<AccessClaims> {
      const hit = peek(token);
      if (hit !== undefined) {
        return hit;
      }
      const claims = await verifyUncached(token, options);
      cache.set(token, claims);
      if (cache.size > max) {
        cache.delete(cache.keys().next().value!);
      }
      return claims;
    },
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

async function verifyUncached(token: string, options: VerifierOptions): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, options.getKey, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ALGORITHMS,
      typ: 'at+jwt',
      clockTolerance: options.clockToleranceSeconds ?? 5,
      requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
    });
    const { sub, client_id: clientId, scope, jti, exp, cnf } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof clientId !== 'string' || typeof jti !== 'string') {
      throw new Error('sub, client_id and jti must be strings');
    }
    const thumbprint = (cnf as { 'x5t#S256'?: unknown } | undefined)?.['x5t#S256'];
    return {
      sub,
      clientId,
      scopes: new Set(typeof scope === 'string' && scope !== '' ? scope.split(' ') : []),
      isUser: sub !== clientId,
      jti,
      exp: exp as number,
      ...(typeof thumbprint === 'string' ? { certificateThumbprint: thumbprint } : {}),
    };
  } catch (e) {
    throw new TokenRejected((e as Error).message, { cause: e });
  }
}
