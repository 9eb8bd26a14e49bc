import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/index.js';
import { GATEWAY_NODE_FLAGS } from '../gateway/runtime.js';
import { configOrExit } from '../platform/run.js';
import { Supervised } from './launcher/supervisor.js';
import type { ComponentSpec } from './launcher/supervisor.js';
import { ensureClients } from './launcher/clients.js';
import type { ClientCredentials } from './launcher/clients.js';
import { DEMO_PASSWORD, ensureDemoData } from './launcher/demo-data.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = (line: string) => process.stdout.write(`${line}\n`);

const launcher = configOrExit(() => loadConfig('launcher'));
const auth = configOrExit(() => loadConfig('auth'));
const users = configOrExit(() => loadConfig('users'));
const tweets = configOrExit(() => loadConfig('tweets'));
const feeds = configOrExit(() => loadConfig('feeds'));
const gateway = configOrExit(() => loadConfig('gateway'));

const withDemoData = process.argv.slice(2).includes('--demo');
const readyUrl = (metricsPort: number) => `http://127.0.0.1:${metricsPort}/readyz`;
/** The registry lives on the gateway's internal port; every other component registers there. */
const registryUrl = `http://127.0.0.1:${gateway.metricsPort}`;
const REGISTRY_SCOPE = 'registry:write registry:read';
const running: Supervised[] = [];

function supervise(spec: ComponentSpec): Supervised {
  const s = new Supervised(spec, {
    cwd: root,
    env: process.env,
    maxBackoffMs: launcher.restartMaxSeconds * 1000,
    stopDeadlineMs: launcher.shutdownTimeoutSeconds * 1000,
    out,
  });
  running.push(s);
  return s;
}

let stopping = false;
/** The gateway last: it hosts the registry the others deregister from as they stop. */
async function stopAll(code: number): Promise<never> {
  stopping = true;
  const isGateway = (r: Supervised) => r.spec.name === 'gateway';
  await Promise.all(running.filter((r) => !isGateway(r)).map((r) => r.stop()));
  await Promise.all(running.filter(isGateway).map((r) => r.stop()));
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!stopping) {
      out(`[launcher] ${signal}: stopping every component`);
      void stopAll(0);
    }
  });
}

/**
 * Clients first (straight in storage, before any server runs, so nothing races on first-start
 * keys), then the auth server (every service trusts its keys), then the services.
 */
async function startAll(): Promise<ClientCredentials> {
  const clients = await ensureClients(auth, [
    {
      key: 'demo',
      name: 'demo service client (development only)',
      scope: 'users:read tweets:read feeds:read',
    },
    {
      key: 'feeds',
      name: 'feeds service (calls users and tweets)',
      scope: 'users:read tweets:read',
    },
    {
      key: 'auth',
      name: 'auth server (checks passwords and creates accounts at users)',
      scope: 'users:credentials users:admin users:read',
    },
    {
      key: 'gateway',
      name: 'gateway (reads tweets for profile pages)',
      scope: 'tweets:read',
    },
    ...['auth', 'users', 'tweets', 'feeds'].map((component) => ({
      key: `registry-${component}`,
      name: `${component} at the service registry`,
      scope: REGISTRY_SCOPE,
    })),
  ]);
  const registryEnv = (component: string) => ({
    CHIRP_REGISTRY_URL: registryUrl,
    CHIRP_REGISTRY_CLIENT_ID: clients[`registry-${component}`]!.client_id,
    CHIRP_REGISTRY_CLIENT_SECRET: clients[`registry-${component}`]!.client_secret,
  });
  await supervise({
    name: 'auth-server',
    entry: 'auth-server/main.ts',
    readyUrl: readyUrl(auth.metricsPort),
    env: {
      CHIRP_AUTH_CLIENT_ID: clients['auth']!.client_id,
      CHIRP_AUTH_CLIENT_SECRET: clients['auth']!.client_secret,
      ...registryEnv('auth'),
    },
  }).start();
  // The gateway hosts the registry, so it comes before the services; its /readyz waits on them,
  // so its start is judged by /healthz.
  await supervise({
    name: 'gateway',
    entry: 'gateway/main.ts',
    nodeFlags: GATEWAY_NODE_FLAGS,
    readyUrl: `http://127.0.0.1:${gateway.metricsPort}/healthz`,
    env: {
      CHIRP_GATEWAY_CLIENT_ID: clients['gateway']!.client_id,
      CHIRP_GATEWAY_CLIENT_SECRET: clients['gateway']!.client_secret,
    },
  }).start();
  await Promise.all([
    supervise({
      name: 'users',
      entry: 'resource-services/users/main.ts',
      readyUrl: readyUrl(users.metricsPort),
      env: registryEnv('users'),
    }).start(),
    supervise({
      name: 'tweets',
      entry: 'resource-services/tweets/main.ts',
      readyUrl: readyUrl(tweets.metricsPort),
      env: registryEnv('tweets'),
    }).start(),
  ]);
  await supervise({
    name: 'feeds',
    entry: 'resource-services/feeds/main.ts',
    readyUrl: readyUrl(feeds.metricsPort),
    env: {
      CHIRP_FEEDS_CLIENT_ID: clients['feeds']!.client_id,
      CHIRP_FEEDS_CLIENT_SECRET: clients['feeds']!.client_secret,
      ...registryEnv('feeds'),
    },
  }).start();
  return clients['demo']!;
}

try {
  const demo = await startAll();
  printReady(demo);
  if (withDemoData) {
    const { created, ids } = await ensureDemoData(users, tweets);
    printDemoData(demo, created, ids);
  }
} catch (e) {
  out(`[launcher] start failed: ${(e as Error).message}`);
  await stopAll(1);
}

function printReady(demo: ClientCredentials): void {
  const svc = (name: string, c: { host: string; port: number; metricsPort: number }) =>
    `  ${name.padEnd(21)} http://${c.host}:${c.port}   metrics: http://127.0.0.1:${c.metricsPort}/metrics`;
  out(`
Chirp is running (Ctrl-C stops every component).

  authorization server  ${auth.issuer}   discovery: ${auth.issuer}/.well-known/openid-configuration
                        metrics: http://127.0.0.1:${auth.metricsPort}/metrics
  gateway               http://localhost:${gateway.port}   (the public entry point for the APIs)
                        registry and metrics: http://127.0.0.1:${gateway.metricsPort}
${svc('users service', users)}
${svc('tweets service', tweets)}
${svc('feeds service', feeds)}

Your Chirp account and the apps connected to it: ${auth.issuer}/account/apps
Register a third-party app: npm run cli -- initial-access-token create (then POST ${auth.issuer}/reg)

Demo service client (development only; saved in ${auth.dataDir}/launcher-clients.json):
  client_id      ${demo.client_id}
  client_secret  ${demo.client_secret}

Get a token for the tweets API:
  curl -s -u '${demo.client_id}:${demo.client_secret}' \\
    -d grant_type=client_credentials -d resource=urn:chirp:tweets -d scope=tweets:read \\
    ${auth.issuer}/token
`);
}

function printDemoData(
  demo: ClientCredentials,
  created: boolean,
  ids: Record<string, string>,
): void {
  out(`Demo data (development only) ${created ? 'created' : 'already there'}: users alice, bob and carol
(password "${DEMO_PASSWORD}"); alice follows bob and carol, each has tweets.

See bob's tweets through the gateway with a service token:
  TOKEN=$(curl -s -u '${demo.client_id}:${demo.client_secret}' \\
    -d grant_type=client_credentials -d resource=urn:chirp:tweets -d scope=tweets:read \\
    ${auth.issuer}/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -s -H "Authorization: Bearer $TOKEN" 'http://localhost:${gateway.port}/tweets?author=${ids['bob'] ?? ''}'
`);
}
