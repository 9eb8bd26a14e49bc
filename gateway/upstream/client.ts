import { ExponentialBackoff, handleWhen, isBrokenCircuitError, retry } from 'cockatiel';
import type { RetryPolicy } from 'cockatiel';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { isNoInstanceError, leaseFrom } from '../../platform/registry/resolver.js';
import type { InstanceLease, ServiceResolver } from '../../platform/registry/resolver.js';
import type { InstanceBreakers } from './breakers.js';
import { NOT_SENT, UpstreamFailure, isUpstreamFailure } from './errors.js';
import type { UpstreamFailureKind } from './errors.js';
import { AnswerTooLarge, AttemptTimedOut, exchange } from './exchange.js';

/** One request to an upstream service, as the gateway forwards it. */
export interface UpstreamRequest {
  readonly method: Dispatcher.HttpMethod;
  /** Path and query string, starting with `/`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Whether repeating it cannot do the work twice (an idempotent method or Idempotency-Key). */
  readonly idempotent: boolean;
  /** Epoch ms by which the exchange, retries included, must be over. */
  readonly deadline: number;
}

/** A buffered answer from one instance (any status: an answer says the instance is alive). */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly instanceId: string;
}

/** Sends requests to services by name, across their instances, with the resilience policies. */
export interface Upstreams {
  /**
   * Sends `req` to an instance of `service`, trying another (or the same, when it is the only
   * one) after a failure when that is safe: always when nothing was sent, and for idempotent
   * requests after a broken connection or a timeout.
   * @throws UpstreamFailure when no attempt got an answer.
   */
  send(service: string, req: UpstreamRequest): Promise<UpstreamResponse>;
  /** Closes the keep-alive connections. */
  close(): Promise<void>;
}

export interface UpstreamsOptions {
  readonly resolver: ServiceResolver;
  readonly breakers: InstanceBreakers;
  /** Bound on one attempt, headers and body. */
  readonly attemptTimeoutMs: number;
  /** Attempts after the first one (default 2). */
  readonly retries?: number;
  /** Called for each failed attempt (metrics). */
  readonly onFailure?: (failure: UpstreamFailure) => void;
}

/** The most a gateway buffers of one answer; resource answers are small JSON documents. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export function createUpstreams(options: UpstreamsOptions): Upstreams {
  // One agent keeps a keep-alive pool per instance origin. Its own header and body timers are
  // off: every attempt is bounded by the one timer in exchange() (headers and body together).
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connections: 256,
    connect: { timeout: 2000 },
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const retrying = retryPolicy(options.retries ?? 2);
  return {
    async send(service, req) {
      const tried = new Set<string>();
      try {
        return await retrying.execute(() => attempt(agent, options, service, req, tried));
      } catch (e) {
        if (Date.now() >= req.deadline && !(isUpstreamFailure(e) && NOT_SENT.has(e.kind))) {
          throw new UpstreamFailure({ service, kind: 'timeout', retryable: false });
        }
        throw e;
      }
    },
    close: () => agent.close(),
  };
}

/**
 * One attempt: an instance not tried yet, through its breaker, bounded by the attempt timeout
 * and what is left of the request's deadline. No attempt starts once the deadline has passed
 * (nor is one counted against an instance); send() then answers a timeout. The instance is
 * leased for the attempt, so least-outstanding picking sees it in flight, and released with
 * whether the instance was at fault (which makes a balancing resolver avoid it for a while).
 */
async function attempt(
  agent: Agent,
  options: UpstreamsOptions,
  service: string,
  req: UpstreamRequest,
  tried: Set<string>,
): Promise<UpstreamResponse> {
  const left = req.deadline - Date.now();
  if (left <= 0) {
    throw new UpstreamFailure({ service, kind: 'timeout', retryable: false });
  }
  const timeoutMs = Math.min(options.attemptTimeoutMs, left);
  let lease: InstanceLease | undefined;
  try {
    lease = await leaseOne(options.resolver, service, tried, options.breakers);
    const target = lease.instance;
    tried.add(target.instanceId);
    // Classified inside the breaker, which counts only instance faults.
    const answer = await options.breakers.policyFor(target).execute(async () => {
      try {
        return await exchange(agent, target.baseUrl, req, timeoutMs, MAX_RESPONSE_BYTES);
      } catch (e) {
        throw classify(e, service, req);
      }
    });
    lease.release();
    const { status, headers, body } = answer;
    return { status, headers, body, instanceId: target.instanceId };
  } catch (e) {
    const failure = classify(e, service, req);
    options.onFailure?.(failure);
    lease?.release({ failed: failure.instanceFault });
    throw failure;
  }
}

function retryPolicy(retries: number): RetryPolicy {
  return retry(
    handleWhen((e) => isUpstreamFailure(e) && e.retryable),
    // Short: a retry usually lands on another instance, which need not wait.
    { maxAttempts: retries, backoff: new ExponentialBackoff({ initialDelay: 5, maxDelay: 100 }) },
  );
}

/**
 * An instance not tried yet whose circuit is not resting; failing that, any non-resting one
 * (a lone instance is worth a second try after a stale keep-alive connection broke).
 */
async function leaseOne(
  resolver: ServiceResolver,
  service: string,
  tried: ReadonlySet<string>,
  breakers: InstanceBreakers,
): Promise<InstanceLease> {
  const resting = breakers.resting(service);
  if (tried.size > 0) {
    try {
      return await leaseFrom(resolver, service, union(resting, tried));
    } catch (e) {
      if (!isNoInstanceError(e)) {
        throw e;
      }
    }
  }
  return leaseFrom(resolver, service, resting);
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const all = new Set(a);
  for (const x of b) {
    all.add(x);
  }
  return all;
}

/** Error codes that mean the request never left: no connection was made. */
const REFUSED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function classify(e: unknown, service: string, req: UpstreamRequest): UpstreamFailure {
  if (isUpstreamFailure(e)) {
    return e;
  }
  const kind = kindOf(e);
  if (kind === undefined) {
    throw e;
  }
  const retryable = NOT_SENT.has(kind) || (req.idempotent && kind !== 'too-large');
  return new UpstreamFailure({
    service,
    kind,
    retryable,
    message: `${service}: ${kind}${e instanceof Error ? ` (${e.message})` : ''}`,
  });
}

function kindOf(e: unknown): UpstreamFailureKind | undefined {
  if (isNoInstanceError(e)) {
    return 'no-instance';
  }
  if (isBrokenCircuitError(e)) {
    return 'circuit-open';
  }
  if (e instanceof AttemptTimedOut) {
    return 'timeout';
  }
  if (e instanceof AnswerTooLarge) {
    return 'too-large';
  }
  const code = errorCode(e);
  if (code === undefined) {
    return undefined;
  }
  if (REFUSED_CODES.has(code)) {
    return 'refused';
  }
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
    ? 'timeout'
    : 'transport';
}

/** The `code` of a network or undici error (also on its cause, where undici wraps one). */
function errorCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) {
    return undefined;
  }
  if ('code' in e && typeof e.code === 'string') {
    return e.code;
  }
  return e.cause === undefined ? undefined : errorCode(e.cause);
}
