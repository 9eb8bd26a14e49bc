import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { forbiddenForm } from './page-error.js';

/** The form field every page's forms carry the anti-forgery token in. */
export const CSRF_FIELD = 'csrf';

const COOKIE = 'chirp_csrf';

/** Anti-forgery tokens for the pages' forms. */
export interface Csrf {
  /** The token for a form of `purpose`; gives the browser its secret cookie if it has none. */
  issue(ctx: Context, purpose: string): string;
  /** Throws a 403 page unless `token` is the one {@link issue} gave this browser for `purpose`. */
  verify(ctx: Context, purpose: string, token: string | undefined): void;
}

/**
 * Signed double-submit tokens: each browser gets a random secret in an httpOnly cookie, and a
 * form's token is an HMAC of that secret and the form's purpose (`interaction:<uid>`,
 * `account:<id>`) under the cookie keys. A forged cross-site form can neither read the secret
 * nor compute the HMAC; nothing is stored on the server, so every instance can check a token.
 */
export function createCsrf(keys: readonly string[], issuer: string): Csrf {
  if (keys.length === 0) {
    throw new TypeError('createCsrf: at least one key is needed');
  }
  const secure = new URL(issuer).protocol === 'https:';
  const sign = (key: string, purpose: string, secret: string): Buffer =>
    createHmac('sha256', key).update(`chirp-csrf\n${purpose}\n${secret}`).digest();
  return {
    issue(ctx, purpose) {
      let secret = ctx.cookies.get(COOKIE);
      if (secret === undefined || !/^[A-Za-z0-9_-]{43}$/.test(secret)) {
        secret = randomBytes(32).toString('base64url');
        // Behind a TLS-terminating proxy the socket is plain HTTP; the issuer says what users see.
        ctx.cookies.secure = secure;
        ctx.cookies.set(COOKIE, secret, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
      }
      return sign(keys[0] ?? '', purpose, secret).toString('base64url');
    },
    verify(ctx, purpose, token) {
      const secret = ctx.cookies.get(COOKIE);
      if (secret === undefined || token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
        throw forbiddenForm();
      }
      const given = Buffer.from(token, 'base64url');
      const ok = keys.some((key) => timingSafeEqual(sign(key, purpose, secret), given));
      if (!ok) {
        throw forbiddenForm();
      }
    },
  };
}
