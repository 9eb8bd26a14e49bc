import { Provider, errors } from 'oidc-provider';
import type { Adapter, KoaContextWithOIDC } from 'oidc-provider';
import type { Limiter } from '../../platform/rate-limit/limiter.js';

/** The endpoints where clients authenticate, by oidc-provider route name. */
const CLIENT_AUTH_ROUTES: ReadonlySet<string> = new Set(['token', 'introspection', 'revocation']);

/**
 * Answer to a client that failed authentication too often: 429 with Retry-After. The error
 * stays `invalid_client`, which is what the client must fix, and says when to retry.
 */
export class TooManyClientAuthFailures extends errors.OIDCProviderError {
  override readonly error_description: string;
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'invalid_client');
    this.error_description = `too many failed client authentications; retry in ${retryAfterSeconds} seconds`;
  }
}

/**
 * Refuses a client that failed authentication `points` times in the window, before it is
 * authenticated again: the check sits in the client lookup, which oidc-provider does once it has
 * read the client id (Basic header, form `client_id` or client assertion) and before it compares
 * any secret or signature. Lookups elsewhere (authorization, registration) pass untouched.
 */
export function gateClientLookups(inner: Adapter, limiter: Limiter): Adapter {
  return {
    async find(id) {
      const ctx = Provider.ctx;
      if (ctx !== undefined && CLIENT_AUTH_ROUTES.has(ctx.oidc.route)) {
        const state = await limiter.peek(id);
        if (state.remaining === 0 && state.resetSeconds > 0) {
          ctx.set('Retry-After', String(state.resetSeconds));
          throw new TooManyClientAuthFailures(state.resetSeconds);
        }
      }
      return inner.find(id);
    },
    upsert: (id, payload, expiresIn) => inner.upsert(id, payload, expiresIn),
    destroy: (id) => inner.destroy(id),
    findByUid: (uid) => inner.findByUid(uid),
    findByUserCode: (code) => inner.findByUserCode(code),
    consume: (id) => inner.consume(id),
    revokeByGrantId: (grantId) => inner.revokeByGrantId(grantId),
  };
}

/** Provider middleware counting every 401 invalid_client answer against the client id tried. */
export function countClientAuthFailures(limiter: Limiter) {
  return async function countFailedClientAuth(
    ctx: KoaContextWithOIDC,
    next: () => Promise<void>,
  ): Promise<void> {
    await next();
    if (ctx.status !== 401 || !CLIENT_AUTH_ROUTES.has(ctx.oidc?.route ?? '')) {
      return;
    }
    const body = ctx.body as { error?: unknown } | undefined;
    const clientId = body?.error === 'invalid_client' ? attemptedClientId(ctx) : undefined;
    if (clientId !== undefined) {
      await limiter.consume(clientId);
    }
  };
}

/** The client id a failed request named: its found client, form client_id, or Basic user. */
function attemptedClientId(ctx: KoaContextWithOIDC): string | undefined {
  const found = ctx.oidc.entities.Client?.clientId;
  if (found !== undefined) {
    return found;
  }
  const param = ctx.oidc.params?.['client_id'];
  if (typeof param === 'string' && param !== '') {
    return param;
  }
  return basicUser(ctx.get('authorization'));
}

function basicUser(header: string): string | undefined {
  const [scheme, value] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || value === undefined) {
    return undefined;
  }
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    return undefined;
  }
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}
