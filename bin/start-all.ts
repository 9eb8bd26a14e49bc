import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/index.js';
import type { AuthConfig } from '../config/index.js';
import { configOrExit } from '../platform/run.js';
import { Supervised } from './launcher/supervisor.js';
import type { ComponentSpec } from './launcher/supervisor.js';
import { ensureDemoClient } from './launcher/demo-client.js';
import type { DemoClient } from './launcher/demo-client.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = (line: string) => process.stdout.write(`${line}\n`);

const launcher = configOrExit(() => loadConfig('launcher'));
const auth = configOrExit(() => loadConfig('auth'));

const components: readonly ComponentSpec[] = [
  {
    name: 'auth-server',
    entry: 'auth-server/main.ts',
    readyUrl: `http://127.0.0.1:${auth.metricsPort}/readyz`,
  },
];

const running = components.map(
  (spec) =>
    new Supervised(spec, {
      cwd: root,
      env: process.env,
      maxBackoffMs: launcher.restartMaxSeconds * 1000,
      stopDeadlineMs: launcher.shutdownTimeoutSeconds * 1000,
      out,
    }),
);

let stopping = false;
async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(running.map((r) => r.stop()));
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

try {
  for (const r of running) {
    await r.start();
  }
  printReady(auth, await ensureDemoClient(auth));
} catch (e) {
  out(`[launcher] start failed: ${(e as Error).message}`);
  await stopAll(1);
}

function printReady(config: AuthConfig, demo: DemoClient): void {
  out(`
Chirp is running (Ctrl-C stops every component).

  authorization server  ${config.issuer}   discovery: ${config.issuer}/.well-known/openid-configuration
                        metrics: http://127.0.0.1:${config.metricsPort}/metrics

Demo service client (development only; saved in ${config.dataDir}/demo-client.json):
  client_id      ${demo.client_id}
  client_secret  ${demo.client_secret}

Get a token for the tweets API:
  curl -s -u '${demo.client_id}:${demo.client_secret}' \\
    -d grant_type=client_credentials -d resource=urn:chirp:tweets -d scope=tweets:read \\
    ${config.issuer}/token
`);
}
