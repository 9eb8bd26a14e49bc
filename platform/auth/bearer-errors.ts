import { ProblemError } from '../errors.js';

/**
 * RFC 6750 answers. The WWW-Authenticate challenge carries the OAuth error; the problem+json body
 * repeats it for humans. Nothing says why a token was refused: that would help an attacker.
 */
export const bearerErrors = {
  /** No credentials at all: a bare challenge, no error code (RFC 6750 3.1). */
  missing: () =>
    new ProblemError({
      status: 401,
      title: 'Unauthorized',
      detail: 'This request needs a bearer token in the Authorization header.',
      headers: { 'WWW-Authenticate': 'Bearer realm="chirp"' },
    }),
  invalidToken: () =>
    new ProblemError({
      status: 401,
      title: 'Unauthorized',
      detail: 'The access token is invalid or expired.',
      headers: { 'WWW-Authenticate': 'Bearer realm="chirp", error="invalid_token"' },
    }),
  invalidRequest: (detail: string) =>
    new ProblemError({
      status: 400,
      title: 'Bad Request',
      detail,
      headers: { 'WWW-Authenticate': 'Bearer realm="chirp", error="invalid_request"' },
    }),
  /** A token for a client where the route acts for a user: no scope would help, so none is named. */
  userTokenRequired: () =>
    new ProblemError({
      status: 403,
      title: 'Forbidden',
      detail: 'This request needs a token issued for a user.',
      headers: { 'WWW-Authenticate': 'Bearer realm="chirp", error="insufficient_scope"' },
    }),
  insufficientScope: (scope: string, detail = `This request needs the ${scope} scope.`) =>
    new ProblemError({
      status: 403,
      title: 'Forbidden',
      detail,
      headers: {
        'WWW-Authenticate': `Bearer realm="chirp", error="insufficient_scope", scope="${scope}"`,
      },
      extensions: { scope },
    }),
};
