import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import type { GatewayConfig } from '../../config/index.js';
import { createGateway } from '../../gateway/app.js';
import type { Gateway, GatewayDeps } from '../../gateway/app.js';
import type { TokenSource } from '../../platform/http/token-source.js';
import { NoInstanceError } from '../../platform/registry/resolver.js';
import type { ServiceInstance, ServiceResolver } from '../../platform/registry/resolver.js';
import type { RunningComponent } from '../../platform/component.js';
import { startTweetsService } from '../../resource-services/tweets/app.js';
import { startUsersService } from '../../resource-services/users/app.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';

export const USERS = 'urn:chirp:users';
export const TWEETS = 'urn:chirp:tweets';
export const FEEDS = 'urn:chirp:feeds';

export { REDIS_SKIP_REASON, redisUrl } from '../helpers/redis.js';

/** Gateway configuration for tests: ephemeral ports, silent logs, `env` on top. */
export function gatewayConfig(issuer: TestIssuer, env: Record<string, string> = {}): GatewayConfig {
  return loadConfig('gateway', {
    CHIRP_ISSUER: issuer.issuer,
    CHIRP_GATEWAY_PORT: '0',
    CHIRP_GATEWAY_METRICS_PORT: '0',
    CHIRP_LOG_LEVEL: 'silent',
    CHIRP_SHUTDOWN_TIMEOUT: '1',
    ...env,
  });
}

/** A gateway in-process that trusts the test issuer's keys and mints its own tweets token. */
export function testGateway(
  issuer: TestIssuer,
  env: Record<string, string>,
  deps: Partial<GatewayDeps> = {},
): Gateway {
  return createGateway(gatewayConfig(issuer, env), {
    getKey: issuer.getKey,
    logger: pino({ level: 'silent' }),
    tokenSource: mintingTokens(issuer),
    ...deps,
  });
}

/** Mints a client_credentials token with the test issuer for whatever is asked. */
export function mintingTokens(issuer: TestIssuer): TokenSource {
  return {
    token: (resource, scope) => issuer.mint({ aud: resource, scope, clientId: 'gateway' }),
    invalidate: () => undefined,
  };
}

/** A resolver over a fixed list per service that goes round the list, skipping `exclude`. */
export function roundRobinResolver(
  urls: Readonly<Record<string, readonly string[]>>,
): ServiceResolver & { picks: string[] } {
  const next = new Map<string, number>();
  const picks: string[] = [];
  const known = (service: string): ServiceInstance[] =>
    (urls[service] ?? []).map((u) => ({ name: service, instanceId: u, baseUrl: u }));
  return {
    picks,
    pick(service, exclude) {
      const usable = known(service).filter((i) => !exclude?.has(i.instanceId));
      const n = next.get(service) ?? 0;
      next.set(service, n + 1);
      const chosen = usable[n % Math.max(1, usable.length)];
      if (chosen === undefined) {
        return Promise.reject(new NoInstanceError(service));
      }
      picks.push(chosen.instanceId);
      return Promise.resolve(chosen);
    },
    instances: (service) => Promise.resolve(known(service)),
    close() {},
  };
}

/** What an echo upstream saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A stand-in service that records every request and answers 200 `{"ok":true}`. */
export interface EchoUpstream {
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Real users and tweets services on ephemeral ports, trusting a fresh test issuer. */
export interface Services {
  readonly issuer: TestIssuer;
  readonly dir: TempDir;
  readonly users: RunningComponent;
  /** Tweets instances; all share one SQLite file. */
  readonly tweets: RunningComponent[];
  /** Starts one more tweets instance on the same data. */
  addTweets(): Promise<RunningComponent>;
  stop(): Promise<void>;
}

export async function startServices(tweetsInstances = 1): Promise<Services> {
  const issuer = await createTestIssuer();
  const dir = await createTempDir('gateway');
  const silent = pino({ level: 'silent' });
  const common = {
    CHIRP_DATA_DIR: dir.path,
    CHIRP_LOG_LEVEL: 'silent',
    CHIRP_ISSUER: issuer.issuer,
    CHIRP_SHUTDOWN_TIMEOUT: '1',
  };
  const users = await startUsersService(
    loadConfig('users', { ...common, CHIRP_USERS_PORT: '0', CHIRP_USERS_METRICS_PORT: '0' }),
    { getKey: issuer.getKey, logger: silent },
  );
  const addTweets = () =>
    startTweetsService(
      loadConfig('tweets', { ...common, CHIRP_TWEETS_PORT: '0', CHIRP_TWEETS_METRICS_PORT: '0' }),
      { getKey: issuer.getKey, logger: silent },
    );
  const tweets: RunningComponent[] = [];
  for (let i = 0; i < tweetsInstances; i += 1) {
    tweets.push(await addTweets());
  }
  return {
    issuer,
    dir,
    users,
    tweets,
    async addTweets() {
      const t = await addTweets();
      tweets.push(t);
      return t;
    },
    async stop() {
      await Promise.allSettled([users.stop(), ...tweets.map((t) => t.stop())]);
      await dir.remove();
    },
  };
}

/** Creates a user through the users service (admin token) and returns its id. */
export async function createUser(s: Services, handle: string): Promise<string> {
  const admin = await s.issuer.mint({ aud: USERS, scope: 'users:admin' });
  const res = await fetch(`${s.users.url}/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ handle, password: 'correct horse battery' }),
  });
  if (res.status !== 201) {
    throw new Error(`POST /users answered ${res.status}: ${await res.text()}`);
  }
  return ((await res.json()) as { id: string }).id;
}

/** Posts a tweet as `userId` straight to a tweets instance and returns its id. */
export async function postTweet(s: Services, userId: string, text: string): Promise<string> {
  const token = await s.issuer.mint({ aud: TWEETS, scope: 'tweets:write', user: userId });
  const res = await fetch(`${s.tweets[0]?.url ?? ''}/tweets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  if (res.status !== 201) {
    throw new Error(`POST /tweets answered ${res.status}: ${await res.text()}`);
  }
  return ((await res.json()) as { id: string }).id;
}
