import { X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { Context, Middleware } from 'koa';
import type { AccessClaims, AccessTokenVerifier } from './verify-access-token.js';
import { bearerErrors } from './bearer-errors.js';
import '../koa-state.js';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

declare module 'koa' {
  interface DefaultState {
    /** Set by `bearer()`: the verified caller. */
    auth?: AccessClaims;
  }
}

/**
 * Requires a valid access token for this service in the Authorization header (RFC 6750 2.1).
 * A token in the query string or a form body is refused: those leak into logs and caches.
 */
export function bearer(verifier: AccessTokenVerifier): Middleware {
  return async function bearerMiddleware(ctx, next) {
    const claims = authenticate(ctx, verifier);
    ctx.state.auth = claims instanceof Promise ? await claims : claims;
    await next();
  };
}

/**
 * The caller of this request, as {@link bearer} checks it: synchronously for a token verified
 * before (the common case), through a promise for a new one.
 * @throws ProblemError (401 or 400, RFC 6750) when the token is missing, malformed or refused.
 */
export function authenticate(
  ctx: Context,
  verifier: AccessTokenVerifier,
): AccessClaims | Promise<AccessClaims> {
  refuseOtherTransports(ctx);
  const header = ctx.get('Authorization');
  if (header === '') {
    throw bearerErrors.missing();
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) {
    throw bearerErrors.invalidToken();
  }
  const known = verifier.peek(token);
  if (known !== undefined) {
    return checkBinding(ctx, known);
  }
  return verifier.verify(token).then(
    (claims) => checkBinding(ctx, claims),
    (e: unknown) => {
      ctx.state.log.debug({ reason: (e as Error).message }, 'bearer token refused');
      throw bearerErrors.invalidToken();
    },
  );
}

/** A certificate-bound token (RFC 8705) is good only on a connection with that certificate. */
function checkBinding(ctx: Context, claims: AccessClaims): AccessClaims {
  if (
    claims.certificateThumbprint !== undefined &&
    claims.certificateThumbprint !== peerThumbprint(ctx)
  ) {
    throw bearerErrors.invalidToken();
  }
  return claims;
}

/** Requires a scope of the verified token (after `bearer`). */
export function requireScope(scope: string): Middleware {
  return async function requireScopeMiddleware(ctx, next) {
    if (!caller(ctx).scopes.has(scope)) {
      throw bearerErrors.insufficientScope(scope);
    }
    await next();
  };
}

/** Refuses client_credentials tokens on routes that act for a user (after `bearer`). */
export function userTokenOnly(): Middleware {
  return async function userTokenOnlyMiddleware(ctx, next) {
    if (!caller(ctx).isUser) {
      throw bearerErrors.userTokenRequired();
    }
    await next();
  };
}

/** The verified caller; only on routes behind `bearer()`. */
export function caller(ctx: Context): AccessClaims {
  const auth = ctx.state.auth;
  if (auth === undefined) {
    throw new Error('caller() on a route without bearer()');
  }
  return auth;
}

function refuseOtherTransports(ctx: Context): void {
  if (ctx.query['access_token'] !== undefined) {
    throw bearerErrors.invalidRequest(
      'Send the access token in the Authorization header, not the query string.',
    );
  }
  if (
    typeof ctx.is('application/x-www-form-urlencoded') === 'string' &&
    ctx.get('Authorization') === ''
  ) {
    throw bearerErrors.invalidRequest(
      'Send the access token in the Authorization header, not the body.',
    );
  }
}

/** SHA-256 thumbprint (RFC 8705) of the client certificate on a mutual-TLS connection. */
function peerThumbprint(ctx: Context): string | undefined {
  const socket = ctx.req.socket;
  if (!(socket instanceof TLSSocket)) {
    return undefined;
  }
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  return raw
    ? Buffer.from(new X509Certificate(raw).fingerprint256.replace(/:/g, ''), 'hex').toString(
        'base64url',
      )
    : undefined;
}
