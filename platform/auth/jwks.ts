import { createRemoteJWKSet } from 'jose';
import type { JWTVerifyGetKey } from 'jose';

export interface IssuerJwksOptions {
  /** Least time between two fetches caused by an unknown `kid`, so a flood of forged kids cannot flood the issuer. */
  readonly cooldownMs?: number;
  /** How long a fetched key set is trusted before it is fetched again. */
  readonly maxAgeMs?: number;
  readonly timeoutMs?: number;
}

/**
 * The issuer's signing keys, found through its RFC 8414 metadata on first use (so a service may
 * start before the auth server) and cached by jose, which refetches on an unknown `kid` at most
 * once per cooldown.
 */
export function issuerJwks(issuer: string, options: IssuerJwksOptions = {}): JWTVerifyGetKey {
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const discover = async (): Promise<JWTVerifyGetKey> => {
    const res = await fetch(`${issuer}/.well-known/oauth-authorization-server`, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const meta = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (!res.ok || meta.issuer !== issuer || typeof meta.jwks_uri !== 'string') {
      throw new Error(`no usable authorization server metadata at ${issuer}`);
    }
    return createRemoteJWKSet(new URL(meta.jwks_uri), {
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: options.maxAgeMs ?? 10 * 60_000,
      timeoutDuration: options.timeoutMs ?? 5000,
    });
  };
  return async (header, token) => {
    keySet ??= discover().catch((e: unknown) => {
      keySet = undefined;
      throw e;
    });
    return (await keySet)(header, token);
  };
}
