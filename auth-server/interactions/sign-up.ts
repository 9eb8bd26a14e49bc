import type { Context } from 'koa';
import { HANDLE_PATTERN } from '../../config/handles.js';
import { NOT_CONFIGURED, UNAVAILABLE, callerOf } from './sign-in.js';
import type { SignInDeps } from './sign-in.js';
import { isUsersUnavailable } from './users-client.js';
import type { NewAccount, UserSummary } from './users-client.js';
import type { SignupErrors } from './views/signup.js';

/** Why a sign-up was refused: the status, a summary and the fields at fault. */
export interface SignUpRefusal {
  readonly status: number;
  readonly error: string;
  readonly fieldErrors?: SignupErrors;
}

export type SignUpOutcome =
  | { readonly ok: true; readonly user: UserSummary }
  | { readonly ok: false; readonly refusal: SignUpRefusal };

/** DESIGN.md's handle rule; the users service checks it again. */

/**
 * Creates the account at users (POST /users with a users:admin token). The rules users applies
 * are checked here first so that each field gets its own message; users stays the authority
 * (a 409 for a taken handle, a 400 naming a field).
 */
export async function signUp(
  deps: SignInDeps,
  ctx: Context,
  input: NewAccount,
): Promise<SignUpOutcome> {
  if (deps.users === undefined) {
    return refuse(503, NOT_CONFIGURED);
  }
  const fieldErrors = check(input);
  if (Object.keys(fieldErrors).length > 0) {
    return refuse(400, 'Some fields need another look.', fieldErrors);
  }
  const account = { ...input, displayName: input.displayName || input.handle };
  try {
    const created = await deps.users.createUser(account, callerOf(ctx));
    if (created.kind === 'created') {
      return { ok: true, user: created.user };
    }
    if (created.kind === 'taken') {
      const handle = 'That handle is taken. Choose another one.';
      return refuse(409, 'That handle is taken.', { handle });
    }
    return refuse(400, `The account could not be created: ${created.detail}`);
  } catch (e) {
    if (!isUsersUnavailable(e)) {
      throw e;
    }
    deps.logger.warn({ err: e }, 'sign-up unavailable: users did not answer');
    return refuse(503, UNAVAILABLE.replace('Sign-in', 'Creating an account'));
  }
}

function check(input: NewAccount): SignupErrors {
  const errors: { -readonly [K in keyof SignupErrors]: string } = {};
  if (!HANDLE_PATTERN.test(input.handle)) {
    errors.handle = 'Use 1 to 15 letters, digits or underscores.';
  }
  const nameLength = [...input.displayName].length;
  if (nameLength > 50 || /\p{Cc}/u.test(input.displayName)) {
    errors.displayName = 'Use at most 50 characters, without control characters.';
  }
  const passwordLength = [...input.password].length;
  if (passwordLength < 8 || passwordLength > 256) {
    errors.password = 'Use 8 to 256 characters.';
  }
  return errors;
}

function refuse(status: number, error: string, fieldErrors?: SignupErrors): SignUpOutcome {
  return { ok: false, refusal: { status, error, fieldErrors } };
}
