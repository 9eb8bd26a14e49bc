/**
 * Why a call to another service failed, from the caller's point of view:
 * - `timeout`: no answer within the policy timeout or before the caller's deadline;
 * - `unavailable`: connection failure, a 5xx or a 429 (the dependency cannot serve now);
 * - `circuit-open`: the breaker refused the call without trying, after repeated failures;
 * - `bulkhead-full`: too many calls to this dependency are already running or queued;
 * - `bad-response`: the dependency answered with a body that cannot be read.
 */
export type DependencyFailureKind =
  'timeout' | 'unavailable' | 'circuit-open' | 'bulkhead-full' | 'bad-response';

/**
 * A call to another service failed in a way the caller may answer with a fallback (a cached
 * timeline, `degraded: true`) or a 503 carrying `retryAfterSeconds`. It crosses module
 * boundaries, so callers test it with {@link isDependencyError}, never by message.
 */
export class DependencyError extends Error {
  /** Brand checked by {@link isDependencyError}; survives two copies of this module. */
  readonly isDependencyError = true;
  /** The dependency's name, as given to its policy (`users`, `tweets`). */
  readonly dependency: string;
  /** What went wrong; see {@link DependencyFailureKind}. */
  readonly kind: DependencyFailureKind;
  /** The HTTP status the dependency answered with, when it answered. */
  readonly status: number | undefined;
  /** When the dependency (or our open breaker) says a new attempt may succeed. */
  readonly retryAfterSeconds: number | undefined;

  /**
   * The `cause`, if any, must carry no request configuration: pino serialises an error's cause,
   * and an HTTP client's error holds the bearer token in its headers.
   */
  constructor(
    init: Readonly<{
      dependency: string;
      kind: DependencyFailureKind;
      message?: string;
      status?: number;
      retryAfterSeconds?: number;
      cause?: Error;
    }>,
  ) {
    super(init.message ?? `${init.dependency}: ${init.kind}`, { cause: init.cause });
    this.name = 'DependencyError';
    this.dependency = init.dependency;
    this.kind = init.kind;
    this.status = init.status;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** Whether `e` is a {@link DependencyError}. */
export function isDependencyError(e: unknown): e is DependencyError {
  return e instanceof Error && 'isDependencyError' in e && e.isDependencyError === true;
}

/**
 * The authorization server did not issue a client_credentials token: it was unreachable, refused
 * the client (`oauthError` such as `invalid_client`), or answered with something unreadable.
 */
export class TokenRequestError extends Error {
  /** Brand checked by {@link isTokenRequestError}. */
  readonly isTokenRequestError = true;
  /** The token endpoint's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** The OAuth `error` code from the token endpoint's answer, when it sent one. */
  readonly oauthError: string | undefined;

  /** As for {@link DependencyError}, `cause` must not hold the request (it carries the secret). */
  constructor(
    init: Readonly<{ message: string; status?: number; oauthError?: string; cause?: Error }>,
  ) {
    super(init.message, { cause: init.cause });
    this.name = 'TokenRequestError';
    this.status = init.status;
    this.oauthError = init.oauthError;
  }
}

/** Whether `e` is a {@link TokenRequestError}. */
export function isTokenRequestError(e: unknown): e is TokenRequestError {
  return e instanceof Error && 'isTokenRequestError' in e && e.isTokenRequestError === true;
}

/**
 * A copy of a transport error that keeps only its code and message, so that logging it (or a
 * {@link DependencyError} caused by it) cannot leak the request's headers.
 */
export function sanitizedCause(e: unknown): Error {
  if (!(e instanceof Error)) {
    return new Error(String(e));
  }
  const code = 'code' in e && typeof e.code === 'string' ? `${e.code}: ` : '';
  return new Error(`${code}${e.message}`);
}
