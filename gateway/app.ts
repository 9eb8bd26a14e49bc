import type Router from '@koa/router';
import type { JWTVerifyGetKey } from 'jose';
import type Koa from 'koa';
import type { GatewayConfig } from '../config/index.js';
import { ConfigError, gatewaySettings } from '../config/index.js';
import type { ResourceId } from '../config/resources.js';
import { issuerJwks } from '../platform/auth/jwks.js';
import { requireScope } from '../platform/auth/bearer.js';
import { serviceVerifier, startComponent } from '../platform/component.js';
import type { ComponentApps, RunningComponent } from '../platform/component.js';
import { discoveredTokenSource } from '../platform/http/discovered-token-source.js';
import type { TokenSource } from '../platform/http/token-source.js';
import { createLogger } from '../platform/observability/logger.js';
import type { Logger } from '../platform/observability/logger.js';
import { createMetrics } from '../platform/observability/metrics.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { ReadinessCheck } from '../platform/observability/health.js';
import { openLimiterStore } from '../platform/rate-limit/redis.js';
import { staticResolver } from '../platform/registry/resolver.js';
import type { ServiceResolver } from '../platform/registry/resolver.js';
import { createInternalApp, createService, mountRouters } from '../platform/service.js';
import { edgeAuth, requireEdgeAuth } from './edge/auth.js';
import { bufferBody } from './edge/body.js';
import { createBurstLimiter } from './edge/burst-limiter.js';
import { clientOriginReader } from './edge/client-ip.js';
import { corsFor } from './edge/cors.js';
import { rateLimit } from './edge/rate-limit.js';
import type { EdgeLimits } from './edge/rate-limit.js';
import { createGatewayMetrics } from './metrics.js';
import type { GatewayMetrics } from './metrics.js';
import { matchRoute, requestContext, requireRoute, runSteps } from './pipeline.js';
import { createHandleIds } from './profiles/handle-ids.js';
import { profileHandler } from './profiles/profile.js';
import { proxy } from './proxy.js';
import { upstreamReadiness } from './readiness.js';
import { createRouteMatcher } from './route-match.js';
import { ROUTES } from './routes.js';
import type { RouteEntry, ServiceName } from './routes.js';
import { createInstanceBreakers } from './upstream/breakers.js';
import type { BreakerOptions } from './upstream/breakers.js';
import { createUpstreams } from './upstream/client.js';
import type { Upstreams } from './upstream/client.js';

/** The registry the gateway hosts (gateway/registry, `createRegistry`), as far as it is mounted here. */
export interface HostedRegistry {
  /** The registry API: mounted on the internal app only. */
  readonly router: Router;
  readonly resolver: ServiceResolver;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What tests and main.ts may supply; everything defaults to the real thing. */
export interface GatewayDeps {
  readonly logger?: Logger;
  /** Keys that sign access tokens; default the issuer's JWKS. Tests pass a local key set. */
  readonly getKey?: JWTVerifyGetKey;
  /**
   * How upstream instances are found: default the hosted registry's resolver (falling back to
   * the configured URLs), or the configured URLs alone (staticResolver) without a registry.
   */
  readonly resolver?: ServiceResolver;
  /** The service registry to mount on the internal port (main.ts builds it). */
  readonly registry?: HostedRegistry;
  /** The gateway's own tokens (GET /profiles reads tweets); default client_credentials. */
  readonly tokenSource?: TokenSource;
  /** Per-instance breaker settings (tests shorten the half-open delay). */
  readonly breaker?: Partial<BreakerOptions>;
}

/** The gateway's apps, plus its upstream client for diagnostics. */
export interface Gateway extends ComponentApps {
  readonly upstreams: Upstreams;
  readonly metrics: GatewayMetrics;
}

export type RunningGateway = RunningComponent<Gateway>;

/** How many of a user's newest tweets GET /profiles/{handle} shows. */
export const PROFILE_RECENT_TWEETS = 10;

const SERVICES: readonly ServiceName[] = ['users', 'tweets', 'feeds'];
const AUDIENCES: readonly ResourceId[] = ['urn:chirp:users', 'urn:chirp:tweets', 'urn:chirp:feeds'];
const BREAKER_DEFAULTS: BreakerOptions = { breakAfter: 3, halfOpenAfterMs: 5000 };

/**
 * Composition root: config → resolver, breakers, upstream client, limits, verifiers → the
 * public pipeline (ids, access log, problems, health, CORS, route table, edge auth, rate
 * limit, body, proxy or aggregation) and the internal app (metrics, health, registry).
 *
 * @throws ConfigError when CHIRP_GATEWAY_CLIENT_ID/SECRET are missing and no token source is given.
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const logger = deps.logger ?? createLogger('gateway', config.logLevel);
  const metrics = createMetrics('gateway');
  const gatewayMetrics = createGatewayMetrics(metrics);
  const breakerOptions = { ...BREAKER_DEFAULTS, ...deps.breaker };
  const upstreams = createUpstreams({
    resolver: deps.resolver ?? deps.registry?.resolver ?? staticResolver(urlsOf(config)),
    breakers: createInstanceBreakers(breakerOptions, gatewayMetrics.circuitChanged, logger),
    attemptTimeoutMs: config.upstreamTimeoutMs,
    onFailure: (f) => gatewayMetrics.upstreamFailures.inc({ service: f.service, kind: f.kind }),
  });
  const store = openLimiterStore(config.redisUrl, logger);
  const retryAfterSeconds = Math.ceil(breakerOptions.halfOpenAfterMs / 1000);
  const tokens = deps.tokenSource ?? defaultTokenSource(config);
  const app = publicApp(config, deps, {
    logger,
    metrics,
    gatewayMetrics,
    upstreams,
    tokens,
    store,
    retryAfterSeconds,
  });
  const internal = createInternalApp({
    logger,
    metrics,
    readiness: internalReadiness(upstreams, deps.registry),
  });
  if (deps.registry !== undefined) {
    mountRouters(internal, [deps.registry.router]);
  }
  return {
    app,
    internalApp: internal,
    logger,
    upstreams,
    metrics: gatewayMetrics,
    async close() {
      await upstreams.close();
      await store.close();
      await deps.registry?.close();
    },
  };
}

/** Starts both listeners; `stop` drains them within the shutdown deadline, then closes. */
export async function startGateway(
  config: GatewayConfig,
  deps: GatewayDeps = {},
): Promise<RunningGateway> {
  return startComponent(createGateway(config, deps), config);
}

interface Parts {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly gatewayMetrics: GatewayMetrics;
  readonly upstreams: Upstreams;
  readonly tokens: TokenSource;
  readonly store: ReturnType<typeof openLimiterStore>;
  readonly retryAfterSeconds: number;
}

/** The public pipeline, in order; every step is a small named middleware. */
function publicApp(config: GatewayConfig, deps: GatewayDeps, p: Parts): Koa {
  const app = createService({
    logger: p.logger,
    metrics: p.metrics,
    readiness: upstreamReadiness(p.upstreams, SERVICES),
  });
  if (config.corsOrigins.length > 0) {
    app.use(corsFor(config.corsOrigins));
  }
  app.use(
    runSteps([
      requestContext(config.requestTimeoutMs, clientOriginReader(config.trustedProxies)),
      matchRoute(createRouteMatcher(ROUTES)),
      edgeAuth(verifiers(config, deps.getKey)),
      rateLimit(limitsOf(config, p.store), (kind) => p.gatewayMetrics.rateLimited.inc({ kind })),
      requireRoute(),
      requireEdgeAuth(),
    ]),
  );
  app.use(dispatch(config, p));
  return app;
}

/** Runs the matched route's own steps: body and proxy, or the profile aggregation. */
function dispatch(config: GatewayConfig, p: Parts): Koa.Middleware {
  const body = bufferBody(config.bodyLimitBytes);
  const proxies = new Map(SERVICES.map((s) => [s, proxy(p.upstreams, s, p.retryAfterSeconds)]));
  const scope = requireScope('users:read');
  const profile = profileHandler({
    upstreams: p.upstreams,
    tokens: p.tokens,
    handleIds: createHandleIds(),
    recentTweets: PROFILE_RECENT_TWEETS,
    retryAfterSeconds: p.retryAfterSeconds,
    onDegraded: (reason) => p.gatewayMetrics.profilesDegraded.inc({ reason }),
  });
  return async function dispatchMiddleware(ctx, next) {
    const match = ctx.state.routeMatch;
    if (match?.ok !== true) {
      await next();
      return;
    }
    const target: RouteEntry['target'] = match.match.route.target;
    if (target.kind === 'profile') {
      await scope(ctx, async () => {
        await profile(ctx, next);
      });
      return;
    }
    const forward = proxies.get(target.service);
    if (forward === undefined) {
      throw new Error(`no proxy for ${target.service}`);
    }
    const reading = body(ctx);
    if (reading !== undefined) {
      await reading;
    }
    await forward(ctx, next);
  };
}

function verifiers(config: GatewayConfig, getKey: JWTVerifyGetKey | undefined) {
  // One key set for every audience: the issuer's JWKS is fetched once.
  const keys = getKey ?? issuerJwks(config.issuer);
  return Object.fromEntries(AUDIENCES.map((a) => [a, serviceVerifier(config.issuer, a, keys)]));
}

function limitsOf(config: GatewayConfig, store: ReturnType<typeof openLimiterStore>): EdgeLimits {
  return {
    callers: createBurstLimiter({
      name: 'gateway:caller',
      perMinute: config.rateLimit,
      burst: config.rateLimitBurst,
      store,
    }),
    anonymous: createBurstLimiter({
      name: 'gateway:anonymous',
      perMinute: config.anonRateLimit,
      burst: config.anonRateLimitBurst,
      store,
    }),
  };
}

function internalReadiness(
  upstreams: Upstreams,
  registry: HostedRegistry | undefined,
): Record<string, ReadinessCheck> {
  const checks = upstreamReadiness(upstreams, SERVICES);
  return registry === undefined ? checks : { ...checks, registry: () => registry.ping() };
}

function urlsOf(config: GatewayConfig): Record<ServiceName, string> {
  return { users: config.usersUrl, tweets: config.tweetsUrl, feeds: config.feedsUrl };
}

/** The configured client, or a ConfigError naming what is missing. */
export function requireGatewayCredentials(config: GatewayConfig): {
  clientId: string;
  clientSecret: string;
} {
  const { clientId, clientSecret } = config;
  if (clientId !== undefined && clientSecret !== undefined) {
    return { clientId, clientSecret };
  }
  const missing = [
    clientId === undefined ? gatewaySettings.clientId.env : undefined,
    clientSecret === undefined ? gatewaySettings.clientSecret.env : undefined,
  ].filter((env) => env !== undefined);
  throw new ConfigError(
    missing.map(
      (env) =>
        `${env}: required: the gateway reads tweets for GET /profiles/{handle} with a ` +
        'client_credentials token (create a client with `chirp clients create --scope ' +
        'tweets:read --resource urn:chirp:tweets`)',
    ),
  );
}

function defaultTokenSource(config: GatewayConfig): TokenSource {
  return discoveredTokenSource({
    issuer: config.issuer,
    ...requireGatewayCredentials(config),
    timeoutMs: Math.min(2000, config.requestTimeoutMs),
  });
}
