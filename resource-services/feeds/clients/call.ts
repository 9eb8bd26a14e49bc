import type { z } from 'zod';
import type { ResourceId } from '../../../config/resources.js';
import { createDependencyPolicy } from '../../../platform/http/policies.js';
import type { DependencyPolicyOptions } from '../../../platform/http/policies.js';
import { DependencyError, createResilientClient } from '../../../platform/http/resilient-client.js';
import type {
  ResilientRequest,
  ResilientResponse,
} from '../../../platform/http/resilient-client.js';
import type { TokenSource } from '../../../platform/http/token-source.js';
import type { Logger } from '../../../platform/observability/logger.js';
import type { Metrics } from '../../../platform/observability/metrics.js';
import type { ServiceResolver } from '../../../platform/registry/resolver.js';
import { instanceRouting } from './instances.js';

/** What every outbound call of one incoming request carries. */
export interface CallContext {
  /** The incoming request's id, sent on as X-Request-Id. */
  readonly requestId: string;
  /** The incoming request's trace context, sent on as traceparent. */
  readonly traceparent: string;
  /** Epoch ms by which the incoming request must be answered: no attempt runs past it. */
  readonly deadline: number;
  /** Aborts every call of the request once its time budget is spent. */
  readonly signal: AbortSignal;
}

/** How a dependency client is built at start-up. */
export interface DependencyClientOptions {
  /** Finds the dependency's instances: the registry, or its configured URL (static). */
  readonly resolver: ServiceResolver;
  /** Client-credentials tokens, shared by every client of the service. */
  readonly tokens: TokenSource;
  readonly logger: Logger;
  /** The registry the policy exports its breaker state and failures to. */
  readonly metrics: Metrics;
  /** Overrides of the client's policy defaults (tests shorten the breaker's half-open delay). */
  readonly policy?: Readonly<DependencyPolicyOptions>;
}

/** What every dependency client has besides its own calls. */
export interface DependencyClient {
  /** Closes idle connections, at shutdown. */
  close(): void;
}

/** One dependency's calls, as a client of it makes them. */
export interface DependencyCalls extends DependencyClient {
  /** Sends `request` on behalf of the incoming request `call` (its id, trace and time budget). */
  send(
    request: Pick<ResilientRequest, 'method' | 'path' | 'body' | 'readOnly'>,
    call: CallContext,
  ): Promise<ResilientResponse<unknown>>;
  /** The body of a 200 answer read with `schema`, as {@link answerOf} reads it. */
  answer<S extends z.ZodType>(res: ResilientResponse<unknown>, schema: S): z.output<S>;
}

/** Who a client is and what it asks the authorization server for. */
export interface DependencyIdentity {
  readonly name: string;
  readonly resource: ResourceId;
  readonly scope: string;
}

/**
 * The policy of both clients before `DependencyClientOptions.policy` overrides: short attempts,
 * so that both dependencies fit the request's time budget (900 ms by default), two of 300 ms for
 * an idempotent GET and one for a POST (the platform retries only idempotent methods).
 */
export const clientPolicyDefaults: Readonly<DependencyPolicyOptions> = Object.freeze({
  timeoutMs: 300,
  maxAttempts: 2,
  initialDelayMs: 20,
  maxDelayMs: 100,
  breakAfter: 5,
  halfOpenAfterMs: 5000,
});

/** Builds the dependency's policy (once, so its breaker sees every call) and its client. */
export function dependencyClient(
  identity: DependencyIdentity,
  options: DependencyClientOptions,
): DependencyCalls {
  const policy = createDependencyPolicy(
    identity.name,
    { ...clientPolicyDefaults, ...options.policy },
    { logger: options.logger, metrics: options.metrics },
  );
  const routing = instanceRouting(options.resolver, identity.name);
  const http = createResilientClient({
    name: identity.name,
    baseUrl: () => routing.baseUrl(),
    policy,
    tokens: { source: options.tokens, resource: identity.resource, scope: identity.scope },
    logger: options.logger,
  });
  return {
    send: (request, call) =>
      routing.call(() => http.request<unknown>({ ...request, ...contextFields(call) })),
    answer: (res, schema) => answerOf(identity.name, res, schema),
    close: () => http.close(),
  };
}

/** The request fields that carry the call context. */
export function contextFields(call: CallContext) {
  return {
    requestId: call.requestId,
    traceparent: call.traceparent,
    deadline: call.deadline,
    signal: call.signal,
  };
}

/**
 * The body of a 200 answer read with `schema`. Any other status, or a body without the fields
 * we read, is a `bad-response`: the dependency answered, but with nothing a timeline can use.
 */
export function answerOf<S extends z.ZodType>(
  dependency: string,
  res: ResilientResponse<unknown>,
  schema: S,
): z.output<S> {
  if (res.status !== 200) {
    throw unexpectedAnswer(dependency, res);
  }
  const parsed = schema.safeParse(res.data);
  if (!parsed.success) {
    throw new DependencyError({
      dependency,
      kind: 'bad-response',
      status: res.status,
      message: `${dependency}: answer does not have the documented shape`,
    });
  }
  return parsed.data;
}

/** An answer whose status we never expect (a 4xx for a request we built ourselves). */
export function unexpectedAnswer(
  dependency: string,
  res: ResilientResponse<unknown>,
): DependencyError {
  return new DependencyError({
    dependency,
    kind: 'bad-response',
    status: res.status,
    message: `${dependency}: unexpected answer ${res.status}`,
  });
}
