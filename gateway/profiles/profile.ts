import type { Context, Middleware } from 'koa';
import { HANDLE_PATTERN } from '../../config/handles.js';
import type { Logger } from '../../platform/observability/logger.js';
import { ProblemError } from '../../platform/errors.js';
import type { TokenSource } from '../../platform/http/token-source.js';
import { invalidInput } from '../../platform/middleware/validate.js';
import { upstreamRequestHeaders } from '../edge/headers.js';
import { sendOrProblem } from '../proxy.js';
import type { UpstreamResponse, Upstreams } from '../upstream/client.js';
import type { HandleIds } from './handle-ids.js';
import { TweetPage, UserJson, presentProfile } from './present.js';
import type { TweetJson } from './present.js';
import '../state.js';

/** What GET /profiles/{handle} needs. */
export interface ProfileDeps {
  readonly upstreams: Upstreams;
  /** The gateway's own client_credentials tokens, for reading tweets. */
  readonly tokens: TokenSource;
  readonly handleIds: HandleIds;
  /** How many of the newest tweets a profile shows. */
  readonly recentTweets: number;
  /** Retry-After of a 503 when users has no instance to call. */
  readonly retryAfterSeconds: number;
  /** Counts a profile answered without tweets, by reason. */
  readonly onDegraded: (reason: string) => void;
}

const TWEETS_RESOURCE = 'urn:chirp:tweets';

/**
 * The aggregation: the user from users (with the caller's own token, so users decides what the
 * caller may read) and their newest tweets from tweets (with the gateway's token). When the
 * handle's id is known from an earlier profile, both reads run in parallel. Without tweets the
 * profile still comes back, with no recent tweets and `"degraded": true`.
 */
export function profileHandler(deps: ProfileDeps): Middleware {
  return async function profile(ctx) {
    const handle = handleOf(ctx);
    const knownId = deps.handleIds.get(handle);
    const early = knownId === undefined ? undefined : recentTweets(ctx, deps, knownId);
    const user = await readUser(ctx, deps, handle);
    deps.handleIds.set(handle, user.id);
    const tweets =
      early !== undefined && knownId === user.id
        ? await early
        : await recentTweets(ctx, deps, user.id);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = presentProfile(user, tweets ?? [], tweets === undefined);
  };
}

function handleOf(ctx: Context): string {
  const match = ctx.state.routeMatch;
  const handle = match?.ok === true ? match.match.params['handle'] : undefined;
  if (handle === undefined || !HANDLE_PATTERN.test(handle)) {
    throw invalidInput([
      { field: 'handle', message: 'must be 1 to 15 characters of A-Z, a-z, 0-9 or _' },
    ]);
  }
  return handle;
}

async function readUser(ctx: Context, deps: ProfileDeps, handle: string): Promise<UserJson> {
  const res = await sendOrProblem(
    deps.upstreams,
    'users',
    {
      method: 'GET',
      path: `/users/by-handle/${handle}`,
      headers: forwardedHeaders(ctx),
      idempotent: true,
      deadline: deadlineOf(ctx),
    },
    deps.retryAfterSeconds,
  );
  if (res.status === 200) {
    const user = UserJson.safeParse(jsonOf(res));
    if (user.success) {
      return user.data;
    }
  }
  throw userProblem(res);
}

/** The users service's refusal as the client should see it; anything unexpected is a 502. */
function userProblem(res: UpstreamResponse): ProblemError {
  if (res.status === 404) {
    return ProblemError.notFound('No user has this handle.');
  }
  if (res.status === 401 || res.status === 403) {
    const challenge = res.headers['www-authenticate'];
    return new ProblemError({
      status: res.status,
      title: res.status === 401 ? 'Unauthorized' : 'Forbidden',
      detail: 'The users service refused the access token.',
      headers: typeof challenge === 'string' ? { 'WWW-Authenticate': challenge } : {},
    });
  }
  return new ProblemError({
    status: 502,
    title: 'Bad Gateway',
    detail: 'The users service answered unexpectedly.',
    expose: true,
  });
}

/** The newest tweets of `authorId`, or undefined (and a log line) when tweets cannot say. */
async function recentTweets(
  ctx: Context,
  deps: ProfileDeps,
  authorId: string,
): Promise<readonly TweetJson[] | undefined> {
  try {
    const token = await deps.tokens.token(TWEETS_RESOURCE, 'tweets:read');
    const res = await deps.upstreams.send('tweets', {
      method: 'GET',
      path: `/tweets?author=${encodeURIComponent(authorId)}&limit=${deps.recentTweets}`,
      headers: { ...traceHeaders(ctx), authorization: `Bearer ${token}` },
      idempotent: true,
      deadline: deadlineOf(ctx),
    });
    if (res.status === 401) {
      deps.tokens.invalidate(TWEETS_RESOURCE, 'tweets:read', token);
    }
    const page = res.status === 200 ? TweetPage.safeParse(jsonOf(res)) : undefined;
    if (page?.success === true) {
      return page.data.items;
    }
    return degraded(ctx, deps, `tweets answered ${res.status}`, 'bad-answer');
  } catch (e) {
    return degraded(ctx, deps, e instanceof Error ? e.message : String(e), 'unavailable');
  }
}

function degraded(ctx: Context, deps: ProfileDeps, why: string, reason: string): undefined {
  deps.onDegraded(reason);
  const log: Logger = ctx.state.log;
  log.warn({ dependency: 'tweets', why }, 'profile served without recent tweets');
  return undefined;
}

function forwardedHeaders(ctx: Context): Record<string, string> {
  const origin = ctx.state.clientOrigin;
  if (origin === undefined) {
    throw new Error('profile: no client origin on this request');
  }
  const headers = upstreamRequestHeaders(ctx, origin);
  // A GET carries no body, and the users service answers JSON.
  delete headers['content-type'];
  headers['accept'] = 'application/json';
  return headers;
}

function traceHeaders(ctx: Context): Record<string, string> {
  return {
    accept: 'application/json',
    'x-request-id': ctx.state.requestId,
    traceparent: ctx.state.traceparent,
  };
}

function deadlineOf(ctx: Context): number {
  return ctx.state.deadline ?? Date.now() + 30_000;
}

function jsonOf(res: UpstreamResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
