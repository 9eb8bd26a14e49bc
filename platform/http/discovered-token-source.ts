import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import { z } from 'zod';
import { TokenRequestError, sanitizedCause } from './errors.js';
import { createTokenSource } from './token-source.js';
import type { TokenSource } from './token-source.js';

/** Who a service is at the authorization server, and how long a token request may take. */
export interface DiscoveredTokenSourceOptions {
  /** The issuer; its RFC 8414 metadata names the token endpoint. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Bound on the metadata request and on each token request, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * A client-credentials {@link TokenSource} whose token endpoint is read from the issuer's
 * `/.well-known/oauth-authorization-server` on first use, not at start-up: a service then starts
 * (and serves what it can without its dependencies) while the authorization server is still
 * starting or down. A failed discovery is tried again on the next call. Feeds and the auth
 * server itself (which calls users to check passwords) share it.
 */
export function discoveredTokenSource(options: DiscoveredTokenSourceOptions): TokenSource {
  let source: TokenSource | undefined;
  let pending: Promise<TokenSource> | undefined;
  const resolve = (): Promise<TokenSource> => {
    if (source !== undefined) {
      return Promise.resolve(source);
    }
    pending ??= discoverTokenEndpoint(options.issuer, options.timeoutMs).then(
      (tokenUrl) => {
        source = createTokenSource({ ...options, tokenUrl });
        return source;
      },
      (e: unknown) => {
        pending = undefined;
        throw e;
      },
    );
    return pending;
  };
  return {
    async token(resource, scope) {
      return (await resolve()).token(resource, scope);
    },
    invalidate(resource, scope, token) {
      // Before discovery nothing is cached, so there is nothing to drop.
      source?.invalidate(resource, scope, token);
    },
  };
}

const Metadata = z.object({ issuer: z.string(), token_endpoint: z.url() });

/** One metadata request per discovery: no keep-alive socket outlives it. */
const http = axios.create({
  httpAgent: new HttpAgent({ keepAlive: false }),
  httpsAgent: new HttpsAgent({ keepAlive: false }),
  // The issuer is configured: never reached through an environment proxy or a redirect.
  proxy: false,
  maxRedirects: 0,
  responseType: 'json',
  headers: { accept: 'application/json' },
  validateStatus: () => true,
});

/**
 * The token endpoint from the issuer's metadata (RFC 8414 3). The metadata must name the same
 * issuer, or it could point our client secret at someone else's endpoint (RFC 8414 3.3).
 */
async function discoverTokenEndpoint(issuer: string, timeoutMs: number): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/oauth-authorization-server`;
  const res = await http
    .get<unknown>(url, { signal: AbortSignal.timeout(timeoutMs) })
    .catch((e: unknown) => {
      throw new TokenRequestError({
        message: `discovery at ${url} failed`,
        cause: sanitizedCause(e),
      });
    });
  const metadata = res.status === 200 ? Metadata.safeParse(res.data) : undefined;
  if (metadata?.success !== true) {
    throw new TokenRequestError({
      message: `discovery at ${url} answered ${res.status} without a token_endpoint`,
      status: res.status,
    });
  }
  if (metadata.data.issuer !== issuer) {
    throw new TokenRequestError({
      message: `discovery at ${url} names another issuer (${metadata.data.issuer})`,
    });
  }
  return metadata.data.token_endpoint;
}
