import { z } from 'zod';
import { createDependencyPolicy } from '../../platform/http/policies.js';
import {
  DependencyError,
  createResilientClient,
  isDependencyError,
} from '../../platform/http/resilient-client.js';
import type {
  AttemptTarget,
  ResilientClient,
  ResilientRequest,
  ResilientResponse,
} from '../../platform/http/resilient-client.js';
import type { TokenSource } from '../../platform/http/token-source.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { Metrics } from '../../platform/observability/metrics.js';

/** The fields the auth server reads of a user (POST /users, GET /users/{id}, password checks). */
export const UserAnswer = z.object({ id: z.string(), handle: z.string(), displayName: z.string() });
export type UserSummary = z.output<typeof UserAnswer>;

/** The fields the auth server reads of POST /internal/password-checks. */
export const PasswordCheckAnswer = z.object({ valid: z.boolean(), user: UserAnswer.optional() });

/** The field the auth server shows of a refused POST /users (a problem naming the field). */
export const ProblemAnswer = z.object({ detail: z.string().optional() });

/** What sign-up sends to POST /users. */
export interface NewAccount {
  readonly handle: string;
  readonly password: string;
  readonly displayName: string;
}

/** The outcome of a sign-up at users. */
export type CreateOutcome =
  | { readonly kind: 'created'; readonly user: UserSummary }
  | { readonly kind: 'taken' }
  | { readonly kind: 'invalid'; readonly detail: string };

/** Who asks: the incoming request's id and trace, passed on to users. */
export interface CallerContext {
  readonly requestId?: string;
  readonly traceparent?: string;
}

/** The users service as the auth server uses it; every call settles within the timeout. */
export interface UsersClient {
  /** The user when `handle` and `password` match; undefined when they do not. */
  checkPassword(
    handle: string,
    password: string,
    call: CallerContext,
  ): Promise<UserSummary | undefined>;
  createUser(account: NewAccount, call: CallerContext): Promise<CreateOutcome>;
  /** The user, or undefined when users does not know the id. */
  getUser(id: string, call: CallerContext): Promise<UserSummary | undefined>;
  close(): void;
}

/** How the client is built: where users is, how long to wait, and the tokens to call it with. */
export interface UsersClientOptions {
  /** Resolved before every attempt (the registry may move users), or a fixed URL. */
  readonly baseUrl: string | (() => Promise<AttemptTarget>);
  /** Bound on each call, retries and the token request included. */
  readonly timeoutMs: number;
  readonly tokens: TokenSource;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const RESOURCE = 'urn:chirp:users';

/**
 * One policy (so one breaker sees every failure), and one resilient client per scope: each call
 * carries a token with only the scope its route needs (least privilege).
 */
export function createUsersClient(options: UsersClientOptions): UsersClient {
  const policy = createDependencyPolicy(
    'users',
    { timeoutMs: options.timeoutMs, maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
    { logger: options.logger, metrics: options.metrics },
  );
  const { baseUrl } = options;
  const resolveBase = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;
  const client = (scope: string): ResilientClient =>
    createResilientClient({
      name: 'users',
      baseUrl: resolveBase,
      policy,
      tokens: { source: options.tokens, resource: RESOURCE, scope },
      logger: options.logger,
    });
  const credentials = bounded(client('users:credentials'), options.timeoutMs);
  const admin = bounded(client('users:admin'), options.timeoutMs);
  const reader = bounded(client('users:read'), options.timeoutMs);
  return {
    async checkPassword(handle, password, call) {
      const res = await credentials.send(
        { method: 'POST', path: '/internal/password-checks', body: { handle, password } },
        call,
        { readOnly: true },
      );
      const answer = read(res, 200, PasswordCheckAnswer);
      return answer.valid ? answer.user : undefined;
    },
    async createUser(account, call) {
      const res = await admin.send({ method: 'POST', path: '/users', body: account }, call);
      if (res.status === 409) {
        return { kind: 'taken' };
      }
      if (res.status === 400) {
        return { kind: 'invalid', detail: ProblemAnswer.safeParse(res.data).data?.detail ?? '' };
      }
      return { kind: 'created', user: read(res, 201, UserAnswer) };
    },
    async getUser(id, call) {
      const path = `/users/${encodeURIComponent(id)}`;
      const res = await reader.send({ method: 'GET', path }, call);
      return res.status === 404 ? undefined : read(res, 200, UserAnswer);
    },
    close() {
      credentials.close();
      admin.close();
      reader.close();
    },
  };
}

/** Whether `e` says users could not be reached in time (the page then says "unavailable"). */
export function isUsersUnavailable(e: unknown): boolean {
  return isDependencyError(e) || (e instanceof Error && e.name === 'TimeoutError');
}

interface BoundedClient {
  send(
    request: Pick<ResilientRequest, 'method' | 'path' | 'body'>,
    call: CallerContext,
    extra?: Pick<ResilientRequest, 'readOnly'>,
  ): Promise<ResilientResponse<unknown>>;
  close(): void;
}

/**
 * Every call, token request and retries included, settles within `timeoutMs`: a person waits
 * at a sign-in page, so a hung dependency must turn into "unavailable", never into a spinner.
 */
function bounded(http: ResilientClient, timeoutMs: number): BoundedClient {
  return {
    send(request, call, extra) {
      const signal = AbortSignal.timeout(timeoutMs);
      const work = http.request<unknown>({
        ...request,
        ...extra,
        ...call,
        signal,
        deadline: Date.now() + timeoutMs,
      });
      return new Promise((resolve, reject) => {
        const onAbort = (): void => reject(timeoutError());
        signal.addEventListener('abort', onAbort, { once: true });
        work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    close: () => http.close(),
  };
}

function timeoutError(): DependencyError {
  return new DependencyError({ dependency: 'users', kind: 'timeout' });
}

function read<S extends z.ZodType>(
  res: ResilientResponse<unknown>,
  status: number,
  schema: S,
): z.output<S> {
  const parsed = res.status === status ? schema.safeParse(res.data) : undefined;
  if (parsed?.success !== true) {
    throw new DependencyError({
      dependency: 'users',
      kind: 'bad-response',
      status: res.status,
      message: `users: unexpected answer ${res.status}`,
    });
  }
  return parsed.data;
}
