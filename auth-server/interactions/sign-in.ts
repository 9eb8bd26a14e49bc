import type { Context } from 'koa';
import type { Logger } from '../../platform/observability/logger.js';
import type { LoginThrottle } from './throttle.js';
import { isUsersUnavailable } from './users-client.js';
import type { CallerContext, UserSummary, UsersClient } from './users-client.js';

/** Why a sign-in did not succeed, with the status and the sentence its page shows. */
export interface SignInRefusal {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A sign-in's outcome: the user, or a refusal to show on the form. */
export type SignInOutcome =
  | { readonly ok: true; readonly user: UserSummary }
  | { readonly ok: false; readonly refusal: SignInRefusal };

/** What checking a handle and password needs. */
export interface SignInDeps {
  /** Undefined when the auth server has no client to call users with. */
  readonly users: UsersClient | undefined;
  readonly throttle: LoginThrottle;
  readonly logger: Logger;
}

/** One message for a wrong password and an unknown handle: a form must not reveal which. */
export const WRONG_CREDENTIALS = 'The handle or password is not right. Check them and try again.';
export const NOT_CONFIGURED =
  'Sign-in is not configured on this server yet (it has no client to reach the users service). Try again later.';
export const UNAVAILABLE = 'Sign-in is temporarily unavailable. Try again in a minute.';

/**
 * Checks a handle and password at users, within the failed-login limits: past them the
 * password is not even checked (429 with Retry-After); a failure counts against the handle and
 * the client's IP, a success clears the handle's count.
 */
export async function signIn(
  deps: SignInDeps,
  ctx: Context,
  handle: string,
  password: string,
): Promise<SignInOutcome> {
  if (deps.users === undefined) {
    return refuse(503, NOT_CONFIGURED, { 'Retry-After': '60' });
  }
  if (handle === '' || password === '') {
    return refuse(400, 'Enter your handle and your password.');
  }
  const ip = clientIp(ctx);
  const wait = await deps.throttle.waitSeconds(handle, ip);
  if (wait > 0) {
    const minutes = Math.ceil(wait / 60);
    const message = `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    return refuse(429, message, { 'Retry-After': String(wait) });
  }
  let user: UserSummary | undefined;
  try {
    user = await deps.users.checkPassword(handle, password, callerOf(ctx));
  } catch (e) {
    if (!isUsersUnavailable(e)) {
      throw e;
    }
    deps.logger.warn({ err: e }, 'sign-in unavailable: users did not answer');
    return refuse(503, UNAVAILABLE, { 'Retry-After': '30' });
  }
  if (user === undefined) {
    await deps.throttle.failed(handle, ip);
    return refuse(400, WRONG_CREDENTIALS);
  }
  await deps.throttle.succeeded(handle);
  return { ok: true, user };
}

/**
 * The peer's own address. The platform never trusts X-Forwarded-For here (app.proxy is off), so
 * a guesser cannot pick a fresh IP per request by sending a header.
 */
export function clientIp(ctx: Context): string {
  return ctx.req.socket.remoteAddress ?? 'unknown';
}

/** The request id and trace of the incoming request, to pass on to users. */
export function callerOf(ctx: Context): CallerContext {
  return { requestId: ctx.state.requestId, traceparent: ctx.state.traceparent };
}

function refuse(
  status: number,
  message: string,
  headers?: Readonly<Record<string, string>>,
): SignInOutcome {
  return { ok: false, refusal: { status, message, headers } };
}
