import { z } from 'zod';

/** One configuration value: where it comes from, how it is checked, and what it means. */
export interface Setting<T> {
  readonly env: string;
  readonly schema: z.ZodType<T>;
  readonly fallback: T;
  readonly description: string;
}

/** A named group of settings; `loadConfig` turns it into a typed, frozen object. */
export type SettingGroup = Readonly<Record<string, Setting<unknown>>>;

export type ConfigOf<G extends SettingGroup> = {
  readonly [K in keyof G]: G[K] extends Setting<infer T> ? T : never;
};

function setting<T>(
  env: string,
  schema: z.ZodType<T>,
  fallback: T,
  description: string,
): Setting<T> {
  return { env, schema, fallback, description };
}

const port = z.coerce.number().int().min(0).max(65535);

const seconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const host = z.string().min(1);
const optionalUrl = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.url({ protocol: /^postgres(ql)?$/ }).optional(),
);
const httpOrigin = z
  .url({ protocol: /^https?$/ })
  .refine((u) => new URL(u).pathname === '/' && !u.endsWith('/'), {
    message: 'must be an origin without a path or trailing slash, e.g. http://localhost:4000',
  });

const serviceUrl = (env: string, fallback: string, what: string) =>
  setting(env, z.url({ protocol: /^https?$/ }), fallback, `Base URL of the ${what} service.`);
const clientCredential = (env: string, what: string) =>
  setting(
    env,
    z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
    undefined,
    `${what} (npm start creates and passes one).`,
  );

const redisUrl = setting(
  'CHIRP_REDIS_URL',
  z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^rediss?$/ }).optional()),
  undefined,
  'Redis URL for rate-limit state shared by several instances; empty keeps it in memory.',
);

/** Settings every component reads. */
export const commonSettings = {
  dataDir: setting(
    'CHIRP_DATA_DIR',
    z.string().min(1),
    './data',
    'Folder for every SQLite file, key and generated certificate.',
  ),
  logLevel: setting(
    'CHIRP_LOG_LEVEL',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    'info',
    'Minimum level of the JSON log lines written to stdout.',
  ),
  shutdownTimeoutSeconds: setting(
    'CHIRP_SHUTDOWN_TIMEOUT',
    seconds(1, 300),
    10,
    'Seconds a component waits for in-flight requests on SIGINT/SIGTERM before closing them.',
  ),
} as const satisfies SettingGroup;

/** Settings of the authorization server. */
export const authSettings = {
  ...commonSettings,
  issuer: setting(
    'CHIRP_ISSUER',
    httpOrigin,
    'http://localhost:4000',
    'Issuer identifier; every URL in discovery derives from it, never from the Host header.',
  ),
  host: setting(
    'CHIRP_AUTH_HOST',
    host,
    '127.0.0.1',
    'Address the authorization server listens on.',
  ),
  port: setting('CHIRP_AUTH_PORT', port, 4000, 'Port of the authorization server (0 picks one).'),
  metricsPort: setting(
    'CHIRP_AUTH_METRICS_PORT',
    port,
    4001,
    'Internal port serving /metrics, /healthz and /readyz on 127.0.0.1.',
  ),
  databaseUrl: setting(
    'CHIRP_AUTH_DATABASE_URL',
    optionalUrl,
    undefined,
    'PostgreSQL URL for the auth server; empty means SQLite at $CHIRP_DATA_DIR/auth.sqlite.',
  ),
  masterKey: setting(
    'CHIRP_MASTER_KEY',
    z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes in base64url (43 characters)')
        .optional(),
    ),
    undefined,
    'Key that encrypts client secrets and private keys at rest; empty means $CHIRP_DATA_DIR/master.key (created 0600).',
  ),
  accessTokenTtlSeconds: setting(
    'CHIRP_ACCESS_TOKEN_TTL',
    seconds(30, 3600),
    300,
    'Lifetime of JWT access tokens in seconds.',
  ),
  keyRefreshSeconds: setting(
    'CHIRP_KEY_REFRESH_INTERVAL',
    seconds(1, 60),
    30,
    'How often a running auth server looks for rotated keys (a rotation reaches it within this).',
  ),
  purgeIntervalSeconds: setting(
    'CHIRP_PURGE_INTERVAL',
    seconds(10, 86400),
    600,
    'How often expired grants, codes and tokens are deleted from storage.',
  ),
  usersUrl: serviceUrl('CHIRP_USERS_URL', 'http://127.0.0.1:4101', 'users'),
  clientId: clientCredential(
    'CHIRP_AUTH_CLIENT_ID',
    'Client id the auth server uses to check passwords and create accounts at users',
  ),
  clientSecret: clientCredential(
    'CHIRP_AUTH_CLIENT_SECRET',
    'Client secret the auth server uses to check passwords and create accounts at users',
  ),
  usersTimeoutMs: setting(
    'CHIRP_AUTH_USERS_TIMEOUT_MS',
    z.coerce.number().int().min(100).max(10_000),
    1500,
    'Milliseconds a login or sign-up waits for the users service before the page says it is unavailable.',
  ),
  redisUrl: redisUrl,
  loginMaxFailuresPerHandle: setting(
    'CHIRP_LOGIN_MAX_FAILURES_PER_HANDLE',
    z.coerce.number().int().min(1).max(100_000),
    10,
    'Failed logins allowed per handle within CHIRP_LOGIN_FAILURE_WINDOW before logins for it are refused.',
  ),
  loginMaxFailuresPerIp: setting(
    'CHIRP_LOGIN_MAX_FAILURES_PER_IP',
    z.coerce.number().int().min(1).max(1_000_000),
    100,
    'Failed logins allowed per client IP within CHIRP_LOGIN_FAILURE_WINDOW.',
  ),
  loginFailureWindowSeconds: setting(
    'CHIRP_LOGIN_FAILURE_WINDOW',
    seconds(1, 86400),
    900,
    'Window in seconds over which failed logins are counted.',
  ),
  clientAuthMaxFailures: setting(
    'CHIRP_CLIENT_AUTH_MAX_FAILURES',
    z.coerce.number().int().min(1).max(1_000_000),
    30,
    'Failed client authentications allowed per client id a minute before it gets 429.',
  ),
  registrationsPerIpHour: setting(
    'CHIRP_REGISTRATIONS_PER_IP_HOUR',
    z.coerce.number().int().min(1).max(1_000_000),
    300,
    'Dynamic client registrations allowed per client IP an hour.',
  ),
  refreshTokenTtlSeconds: setting(
    'CHIRP_REFRESH_TOKEN_TTL',
    seconds(60, 365 * 86400),
    14 * 86400,
    'Lifetime of a refresh token in seconds (each rotation issues a fresh one).',
  ),
  refreshGraceSeconds: setting(
    'CHIRP_REFRESH_GRACE',
    seconds(0, 300),
    10,
    'Seconds a rotated refresh token may still be used by its client without revoking the grant.',
  ),
} as const satisfies SettingGroup;

const issuerSetting = authSettings.issuer;

/** Settings every resource service has, under its own prefix (CHIRP_USERS_PORT, ...). */
function resourceServiceSettings(
  prefix: string,
  name: string,
  defaultPort: number,
  defaultMetricsPort: number,
) {
  return {
    ...commonSettings,
    issuer: issuerSetting,
    host: setting(`${prefix}_HOST`, host, '127.0.0.1', `Address the ${name} service listens on.`),
    port: setting(
      `${prefix}_PORT`,
      port,
      defaultPort,
      `Port of the ${name} service (0 picks one).`,
    ),
    metricsPort: setting(
      `${prefix}_METRICS_PORT`,
      port,
      defaultMetricsPort,
      `Internal port of the ${name} service for /metrics, /healthz and /readyz on 127.0.0.1.`,
    ),
    databaseUrl: setting(
      `${prefix}_DATABASE_URL`,
      optionalUrl,
      undefined,
      `PostgreSQL URL of the ${name} service; empty means SQLite at $CHIRP_DATA_DIR/${name}.sqlite.`,
    ),
  } as const;
}

/** Settings of the users service. */
export const usersSettings = {
  ...resourceServiceSettings('CHIRP_USERS', 'users', 4101, 4111),
} as const satisfies SettingGroup;

/** Settings of the tweets service. */
export const tweetsSettings = {
  ...resourceServiceSettings('CHIRP_TWEETS', 'tweets', 4102, 4112),
  workerId: setting(
    'CHIRP_TWEETS_WORKER_ID',
    z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.coerce.number().int().min(0).max(1023).optional(),
    ),
    undefined,
    'Worker id (0-1023) in tweet ids, unique per instance; unset picks a random one at start.',
  ),
} as const satisfies SettingGroup;

/** Settings of the feeds service. */
export const feedsSettings = {
  ...resourceServiceSettings('CHIRP_FEEDS', 'feeds', 4103, 4113),
  usersUrl: serviceUrl('CHIRP_USERS_URL', 'http://127.0.0.1:4101', 'users'),
  tweetsUrl: serviceUrl('CHIRP_TWEETS_URL', 'http://127.0.0.1:4102', 'tweets'),
  clientId: clientCredential(
    'CHIRP_FEEDS_CLIENT_ID',
    'Client id feeds uses to call users and tweets',
  ),
  clientSecret: clientCredential(
    'CHIRP_FEEDS_CLIENT_SECRET',
    'Client secret feeds uses to call users and tweets',
  ),
  followingCacheMs: setting(
    'CHIRP_FEEDS_FOLLOWING_CACHE_MS',
    z.coerce.number().int().min(0).max(300_000),
    5000,
    'Milliseconds feeds reuses whom a user follows; a new follow shows in the home timeline within this (0 disables).',
  ),
  authorCacheMs: setting(
    'CHIRP_FEEDS_AUTHOR_CACHE_MS',
    z.coerce.number().int().min(0).max(3_600_000),
    60_000,
    "Milliseconds feeds reuses an author's handle and display name (0 disables).",
  ),
  timeBudgetMs: setting(
    'CHIRP_FEEDS_TIME_BUDGET_MS',
    z.coerce.number().int().min(100).max(10_000),
    900,
    'Milliseconds feeds may spend on its dependencies before answering degraded or 503.',
  ),
} as const satisfies SettingGroup;

// Gateway value shapes: a positive per-minute count, and comma-separated lists checked per item.
const perMinute = z.coerce.number().int().min(1).max(10_000_000);
const commaList = (v: unknown): unknown =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : v;
const ipOrCidr = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], {
  error: 'must be an IP address or CIDR such as 10.0.0.0/8',
});
const addressList = z.preprocess(commaList, z.array(ipOrCidr));
const originList = z.preprocess(commaList, z.array(httpOrigin));

/** Settings of the gateway (and of the service registry it hosts on its internal port). */
export const gatewaySettings = {
  ...commonSettings,
  issuer: issuerSetting,
  host: setting('CHIRP_GATEWAY_HOST', host, '127.0.0.1', 'Address the gateway listens on.'),
  port: setting('CHIRP_GATEWAY_PORT', port, 8080, 'Public port of the gateway (0 picks one).'),
  metricsPort: setting(
    'CHIRP_GATEWAY_METRICS_PORT',
    port,
    8081,
    'Internal port of the gateway on 127.0.0.1: /metrics, /healthz, /readyz and the service registry.',
  ),
  redisUrl: redisUrl,
  // gateway settings: helper-owned block below (routing, limits, CORS, proxies)
  usersUrl: serviceUrl('CHIRP_USERS_URL', 'http://127.0.0.1:4101', 'users'),
  tweetsUrl: serviceUrl('CHIRP_TWEETS_URL', 'http://127.0.0.1:4102', 'tweets'),
  feedsUrl: serviceUrl('CHIRP_FEEDS_URL', 'http://127.0.0.1:4103', 'feeds'),
  clientId: clientCredential(
    'CHIRP_GATEWAY_CLIENT_ID',
    'Client id the gateway reads tweets with for GET /profiles/{handle}',
  ),
  clientSecret: clientCredential(
    'CHIRP_GATEWAY_CLIENT_SECRET',
    'Client secret the gateway reads tweets with for GET /profiles/{handle}',
  ),
  rateLimit: setting(
    'CHIRP_GATEWAY_RATE_LIMIT',
    perMinute,
    600,
    'Requests a minute per client (client_credentials token) or per user (user token).',
  ),
  rateLimitBurst: setting(
    'CHIRP_GATEWAY_RATE_LIMIT_BURST',
    perMinute,
    100,
    'Requests a client or user may send at once (the bucket size) before the rate applies.',
  ),
  anonRateLimit: setting(
    'CHIRP_GATEWAY_ANON_RATE_LIMIT',
    perMinute,
    120,
    'Requests a minute per client IP for requests without a valid token.',
  ),
  anonRateLimitBurst: setting(
    'CHIRP_GATEWAY_ANON_RATE_LIMIT_BURST',
    perMinute,
    20,
    'Requests without a valid token one IP may send at once before the rate applies.',
  ),
  trustedProxies: setting(
    'CHIRP_GATEWAY_TRUSTED_PROXIES',
    addressList,
    [],
    'Comma-separated IPs or CIDRs of proxies in front of the gateway whose X-Forwarded-For is believed (empty: none).',
  ),
  corsOrigins: setting(
    'CHIRP_GATEWAY_CORS_ORIGINS',
    originList,
    [],
    'Comma-separated browser origins allowed to call the API cross-origin (empty: none).',
  ),
  bodyLimitBytes: setting(
    'CHIRP_GATEWAY_BODY_LIMIT',
    z.coerce
      .number()
      .int()
      .min(0)
      .max(16 * 1024 * 1024),
    64 * 1024,
    'Largest request body the gateway accepts, in bytes (413 beyond it, before it is read).',
  ),
  requestTimeoutMs: setting(
    'CHIRP_GATEWAY_REQUEST_TIMEOUT_MS',
    z.coerce.number().int().min(100).max(120_000),
    5000,
    'Milliseconds a request may take at the gateway, body upload and retries included (then 504).',
  ),
  upstreamTimeoutMs: setting(
    'CHIRP_GATEWAY_UPSTREAM_TIMEOUT_MS',
    z.coerce.number().int().min(50).max(120_000),
    2500,
    'Milliseconds one attempt at an upstream service may take before it counts as failed.',
  ),
} as const satisfies SettingGroup;

/** Settings of the service registry (hosted by the gateway) and of its clients. */
export const registrySettings = {
  // registry settings: helper-owned block below (URL, backend, TTL, heartbeat)
  url: setting(
    'CHIRP_REGISTRY_URL',
    z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional()),
    undefined,
    "Registry base URL (the gateway's internal port, e.g. http://127.0.0.1:8081); components register there and resolve other services through it. Empty: no registration, static URLs.",
  ),
  backend: setting(
    'CHIRP_REGISTRY_BACKEND',
    z.enum(['memory', 'redis', 'postgres', 'static']),
    'memory',
    'Where the gateway keeps registered instances: memory (one gateway), redis or postgres (shared by several gateways), static (no registry; configured URLs).',
  ),
  redisUrl: setting(
    'CHIRP_REGISTRY_REDIS_URL',
    z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^rediss?$/ }).optional()),
    undefined,
    'Redis URL of the registry when CHIRP_REGISTRY_BACKEND=redis.',
  ),
  databaseUrl: setting(
    'CHIRP_REGISTRY_DATABASE_URL',
    optionalUrl,
    undefined,
    'PostgreSQL URL of the registry when CHIRP_REGISTRY_BACKEND=postgres.',
  ),
  ttlSeconds: setting(
    'CHIRP_REGISTRY_TTL',
    seconds(2, 3600),
    15,
    'Seconds an instance stays registered without a heartbeat; a crashed instance gets no traffic after this.',
  ),
  heartbeatSeconds: setting(
    'CHIRP_REGISTRY_HEARTBEAT',
    seconds(1, 1200),
    5,
    'Seconds between heartbeats of a registered instance; an instance heartbeats at most every third of the TTL the registry announces.',
  ),
  refreshMs: setting(
    'CHIRP_REGISTRY_REFRESH_MS',
    z.coerce.number().int().min(100).max(60_000),
    2000,
    "Milliseconds between refreshes of a caller's cached instance list (keep well under the TTL).",
  ),
  pick: setting(
    'CHIRP_REGISTRY_PICK',
    z.enum(['round-robin', 'least-outstanding']),
    'round-robin',
    'How a caller picks among healthy instances: round-robin, or the one with fewest requests in flight.',
  ),
  clientId: clientCredential(
    'CHIRP_REGISTRY_CLIENT_ID',
    'Client id (scopes registry:write registry:read) this component registers and resolves with',
  ),
  clientSecret: clientCredential(
    'CHIRP_REGISTRY_CLIENT_SECRET',
    'Client secret this component registers and resolves with',
  ),
  advertiseHost: setting(
    'CHIRP_REGISTRY_ADVERTISE_HOST',
    z.preprocess((v) => (v === '' ? undefined : v), host.optional()),
    undefined,
    'Host name other components reach this instance at; empty: the address it listens on.',
  ),
} as const satisfies SettingGroup;

/** Settings of the launcher (`npm start`). */
export const launcherSettings = {
  ...commonSettings,
  restartMaxSeconds: setting(
    'CHIRP_RESTART_MAX_BACKOFF',
    seconds(1, 300),
    30,
    'Longest wait before the launcher restarts a component that died (backoff doubles from 0.5 s).',
  ),
} as const satisfies SettingGroup;

export type CommonConfig = ConfigOf<typeof commonSettings>;
export type AuthConfig = ConfigOf<typeof authSettings>;
export type LauncherConfig = ConfigOf<typeof launcherSettings>;
export type UsersConfig = ConfigOf<typeof usersSettings>;
export type TweetsConfig = ConfigOf<typeof tweetsSettings>;
export type FeedsConfig = ConfigOf<typeof feedsSettings>;
export type GatewayConfig = ConfigOf<typeof gatewaySettings>;
export type RegistryConfig = ConfigOf<typeof registrySettings>;
