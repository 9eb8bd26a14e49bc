import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import { z } from 'zod';
import { TokenRequestError, sanitizedCause } from './errors.js';

/** Where and as whom a service asks the authorization server for client_credentials tokens. */
export interface TokenSourceOptions {
  /** The token endpoint, from the issuer's discovery document or configuration. */
  tokenUrl: string;
  /** This service's client id at the authorization server. */
  clientId: string;
  /** Its secret, sent with client_secret_basic, the CLI's default authentication method. */
  clientSecret: string;
  /**
   * How long before `expires_in` runs out a token is replaced (default 30), so that a token
   * never expires between leaving here and being checked by the callee.
   */
  earlyRefreshSeconds?: number;
  /** Bound on one token request, in milliseconds (default 2000). */
  timeoutMs?: number;
}

/** Client-credentials access tokens for outbound calls, cached per (resource, scope). */
export interface TokenSource {
  /**
   * A token for `resource` (RFC 8707 audience) and `scope`, from the cache while it is fresh.
   * Concurrent callers share one token request; rejects with a `TokenRequestError`.
   */
  token(resource: string, scope: string): Promise<string>;
  /**
   * Drops the cached token, because a callee answered 401 invalid_token (revoked, or keys
   * rotated). With `token`, drops it only if it is still the cached one, so a late 401 for an
   * old token does not throw away a newer one.
   */
  invalidate(resource: string, scope: string, token?: string): void;
}

/** Creates a {@link TokenSource}; build one per client at start-up and share it. */
export function createTokenSource(options: Readonly<TokenSourceOptions>): TokenSource {
  const earlyMs = (options.earlyRefreshSeconds ?? 30) * 1000;
  const fetchToken = tokenFetcher(options);
  const cache = new Map<string, CachedToken>();
  const inFlight = new Map<string, Promise<string>>();

  function refresh(key: string, resource: string, scope: string): Promise<string> {
    const pending = fetchToken(resource, scope).then((issued) => {
      cache.set(key, { value: issued.value, refreshAt: refreshTime(issued, earlyMs) });
      return issued.value;
    });
    inFlight.set(key, pending);
    const forget = (): void => void inFlight.delete(key);
    pending.then(forget, forget);
    return pending;
  }

  return {
    token(resource, scope) {
      const key = JSON.stringify([resource, scope]);
      const cached = cache.get(key);
      if (cached !== undefined && Date.now() < cached.refreshAt) {
        return Promise.resolve(cached.value);
      }
      return inFlight.get(key) ?? refresh(key, resource, scope);
    },
    invalidate(resource, scope, token) {
      const key = JSON.stringify([resource, scope]);
      if (token === undefined || cache.get(key)?.value === token) {
        cache.delete(key);
      }
    },
  };
}

interface CachedToken {
  readonly value: string;
  /** Epoch ms after which the token is fetched again. */
  readonly refreshAt: number;
}

interface IssuedToken {
  readonly value: string;
  readonly issuedAt: number;
  readonly expiresInSeconds: number | undefined;
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().positive().optional(),
});

const errorResponse = z.object({ error: z.string() });

/**
 * Refreshes `earlyMs` before expiry, but never before half the lifetime: a short-lived token
 * would otherwise be refetched on every call. Without `expires_in` the token is not cached.
 */
function refreshTime(issued: IssuedToken, earlyMs: number): number {
  if (issued.expiresInSeconds === undefined) {
    return issued.issuedAt;
  }
  const lifetimeMs = issued.expiresInSeconds * 1000;
  return issued.issuedAt + Math.max(lifetimeMs - earlyMs, lifetimeMs / 2);
}

/** RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined and base64ed. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function tokenFetcher(
  options: Readonly<TokenSourceOptions>,
): (resource: string, scope: string) => Promise<IssuedToken> {
  const http = tokenHttpClient();
  const authorization = basicAuthorization(options.clientId, options.clientSecret);
  const timeoutMs = options.timeoutMs ?? 2000;
  return async (resource, scope) => {
    const issuedAt = Date.now();
    const res = await http
      .post<unknown>(options.tokenUrl, tokenRequestBody(resource, scope), {
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        // A signal bounds the whole exchange; axios's own timeout only bounds socket idleness.
        signal: AbortSignal.timeout(timeoutMs),
      })
      .catch((e: unknown) => {
        throw new TokenRequestError({
          message: `token request to ${options.tokenUrl} failed`,
          cause: sanitizedCause(e),
        });
      });
    return issuedToken(res, issuedAt, options.tokenUrl);
  };
}

function tokenHttpClient(): AxiosInstance {
  return axios.create({
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
    // The token endpoint is configured, never reached through a proxy or a redirect.
    proxy: false,
    maxRedirects: 0,
    responseType: 'json',
    validateStatus: () => true,
  });
}

function tokenRequestBody(resource: string, scope: string): string {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  appendIfSet(body, 'resource', resource);
  appendIfSet(body, 'scope', scope);
  return body.toString();
}

function appendIfSet(body: URLSearchParams, name: string, value: string): void {
  if (value !== '') {
    body.append(name, value);
  }
}

function issuedToken(res: AxiosResponse<unknown>, issuedAt: number, url: string): IssuedToken {
  const ok = res.status === 200 ? tokenResponse.safeParse(res.data) : undefined;
  if (ok?.success) {
    return { value: ok.data.access_token, issuedAt, expiresInSeconds: ok.data.expires_in };
  }
  const oauthError = errorResponse.safeParse(res.data).data?.error;
  const what = ok === undefined ? `answered ${res.status}` : 'answered without a bearer token';
  throw new TokenRequestError({
    message: `token endpoint ${url} ${what}${oauthError === undefined ? '' : ` (${oauthError})`}`,
    status: res.status,
    oauthError,
  });
}

/**
 * Sends with a bearer token for `resource` and `scope`. A 401 means the callee refused the token
 * before doing any work (revoked, or signed with a key it has not learnt yet), so the token is
 * dropped and the request sent once more with a fresh one, which is safe even for a POST.
 * `hooks.token` replaces how a token is got (to map its errors); `onRefused` hears of a 401.
 */
export async function sendWithToken<R extends { readonly status: number }>(
  tokens: TokenSource,
  resource: string,
  scope: string,
  send: (token: string) => Promise<R>,
  hooks: { readonly token?: () => Promise<string>; readonly onRefused?: () => void } = {},
): Promise<R> {
  const token = hooks.token ?? (() => tokens.token(resource, scope));
  const first = await token();
  const res = await send(first);
  if (res.status !== 401) {
    return res;
  }
  hooks.onRefused?.();
  tokens.invalidate(resource, scope, first);
  return send(await token());
}
